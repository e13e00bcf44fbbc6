// Package apptest runs the real application in tests: app.New on the test
// package's database (dbtest) and a real session store, behind an
// httptest.Server, with clients that keep their cookies as browsers do.
// The app's HTTP tests and a fork's component tests build on it, so what is
// tested is what serve runs.
//
// A test package that uses it calls dbtest.Main from its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
//
//	func TestInvoices(t *testing.T) {
//		e := apptest.New(t, apptest.Options{})
//		alice := e.Signup("alice")
//		acme := alice.CreateTenant("Acme")
//		r := alice.Must(http.StatusCreated, "POST", "/api/invoices", map[string]any{"number": "1"}, apptest.InTenant(acme))
//		var got struct{ Invoice struct{ ID string } }
//		r.Decode(t, &got)
//		bob := e.Signup("bob")
//		if r := bob.Do("GET", "/api/invoices/"+got.Invoice.ID, nil, apptest.InTenant(acme)); r.Status != http.StatusNotFound {
//			t.Errorf("bob reads alice's invoice: %d", r.Status)
//		}
//	}
//
// Users, emails and tenant slugs are unique per call, so tests that share
// the package's database do not collide. Clients report to Env.T: a
// request that cannot be sent or read, or a Must with another status, stops
// the test with t.Fatalf.
package apptest
