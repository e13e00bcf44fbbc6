package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSpec(t *testing.T) {
	s, err := ParseSpec("invoices", " project_id:ref(projects)  number:text! amount_cents:bigint note:text? due_at:timestamptz? paid:bool n:int ", "")
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{Name: "invoices", Singular: "invoice", Fields: []Field{
		{Name: "project_id", Kind: Ref, RefTable: "projects"},
		{Name: "number", Kind: Text, Unique: true},
		{Name: "amount_cents", Kind: BigInt},
		{Name: "note", Kind: Text, Nullable: true},
		{Name: "due_at", Kind: Timestamptz, Nullable: true},
		{Name: "paid", Kind: Bool},
		{Name: "n", Kind: Int},
	}}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("ParseSpec (-want +got):\n%s", diff)
	}
	// The command line is normalised, and parses back to the same Spec.
	const cmd = `make table NAME=invoices FIELDS="project_id:ref(projects) number:text! amount_cents:bigint note:text? due_at:timestamptz? paid:bool n:int"`
	if got := s.Command(); got != cmd {
		t.Errorf("Command() = %s, want %s", got, cmd)
	}
	back, ok, err := ParseHeader("-- invoices: a tenant table, written by\n--   " + cmd + "\n-- more\n")
	if !ok || err != nil {
		t.Fatalf("ParseHeader = %v, %v", ok, err)
	}
	if diff := cmp.Diff(s, back); diff != "" {
		t.Errorf("ParseHeader(Command()) (-want +got):\n%s", diff)
	}
}

func TestParseSpecSingular(t *testing.T) {
	for _, tt := range []struct{ name, singular, want, cmd string }{
		{"invoices", "", "invoice", ""},
		{"line_items", "", "line_item", ""},
		{"categories", "", "category", ""},
		{"addresses", "", "address", ""},
		{"batches", "", "batch", ""},
		{"boxes", "", "box", ""},
		{"statuses", "", "status", ""},
		{"courses", "", "course", ""},
		{"people", "person", "person", " SINGULAR=person"},
		{"invoices", "invoice", "invoice", ""}, // the derived one: not recorded
		{"data_series", "data_series_item", "data_series_item", " SINGULAR=data_series_item"},
	} {
		s, err := ParseSpec(tt.name, "x:text", tt.singular)
		if err != nil {
			t.Errorf("ParseSpec(%s, SINGULAR=%s): %v", tt.name, tt.singular, err)
			continue
		}
		if s.Singular != tt.want {
			t.Errorf("ParseSpec(%s, SINGULAR=%s).Singular = %s, want %s", tt.name, tt.singular, s.Singular, tt.want)
		}
		if got, want := s.Command(), `make table NAME=`+tt.name+` FIELDS="x:text"`+tt.cmd; got != want {
			t.Errorf("Command() = %s, want %s", got, want)
		}
	}
}

// TestParseSpecRejects: every mistake is refused with a message that names
// what is wrong (and, for a field, which one).
func TestParseSpecRejects(t *testing.T) {
	long := strings.Repeat("x", 40)
	for _, tt := range []struct {
		name, fields, singular string
		want                   []string // substrings of the message
	}{
		{"", "x:text", "", []string{"NAME is empty"}},
		{"Invoices", "x:text", "", []string{"NAME=Invoices", "snake_case"}},
		{"line-items", "x:text", "", []string{"NAME=line-items", "snake_case"}},
		{"line__items", "x:text", "", []string{"NAME=line__items"}},
		{"users", "x:text", "", []string{"NAME=users", "platform"}},
		{"tenants", "x:text", "", []string{"NAME=tenants", "platform"}},
		{"memberships", "x:text", "", []string{"NAME=memberships"}},
		{"sessions", "x:text", "", []string{"NAME=sessions"}},
		{"password_credentials", "x:text", "", []string{"NAME=password_credentials"}},
		{"order", "x:text", "", []string{"NAME=order", "reserved word in SQL"}},
		{"go_to", "x:text", "go_to_item", []string{"NAME=go_to", "Go keyword"}},
		{"errors", "x:text", "", []string{"NAME=errors", "clashes"}},
		{"staff", "x:text", "", []string{"NAME=staff", "SINGULAR="}},
		{"services", "x:text", "", []string{"NAME=services", "Go type Service"}},
		{"inputs", "x:text", "", []string{"Go type Input"}},
		{"invoices", "x:text", "invoices", []string{"SINGULAR=invoices", "same as NAME"}},
		{"invoices", "x:text", "Invoice", []string{"SINGULAR=Invoice"}},
		{"invoices", "", "", []string{"FIELDS is empty"}},
		{"invoices", "   ", "", []string{"FIELDS is empty"}},

		{"invoices", "amount", "", []string{`field 1 "amount"`, "want name:type"}},
		{"invoices", "number:text amount:money", "", []string{`field 2 "amount:money"`, "unknown type money", "text, bigint, int, bool, timestamptz or ref(<table>)"}},
		{"invoices", "amount:", "", []string{`field 1 "amount:"`, "no type"}},
		{"invoices", ":text", "", []string{`field 1 ":text"`, "no name"}},
		{"invoices", "Amount:bigint", "", []string{`field 1 "Amount:bigint"`, "snake_case"}},
		{"invoices", "1st:bigint", "", []string{`field 1 "1st:bigint"`}},
		{"invoices", "id:text", "", []string{`field 1 "id:text"`, "reserved"}},
		{"invoices", "x:text tenant_id:text", "", []string{`field 2 "tenant_id:text"`, "reserved"}},
		{"invoices", "created_by:text", "", []string{"created_by", "reserved"}},
		{"invoices", "created_at:timestamptz", "", []string{"created_at", "reserved"}},
		{"invoices", "updated_at:timestamptz", "", []string{"updated_at", "reserved"}},
		{"invoices", "max_rows:int", "", []string{"max_rows", "reserved"}},
		{"invoices", "user:text", "", []string{`field 1 "user:text"`, "reserved word in SQL"}},
		{"invoices", "order:int", "", []string{"order", "reserved word in SQL"}},
		{"invoices", "x:text x:int", "", []string{`field 2 "x:int"`, "named twice"}},
		{"invoices", "x_1:int x1:int", "", []string{`field 2 "x1:int"`, "Go field X1"}},
		{"invoices", "x:text!?", "", []string{`field 1 "x:text!?"`, "not both"}},
		{"invoices", "x:text?!", "", []string{"not both"}},
		{"invoices", "paid:bool!", "", []string{`field 1 "paid:bool!"`, "bool cannot be unique"}},
		{"invoices", "project:ref(projects)", "", []string{`field 1 "project:ref(projects)"`, "must end in _id", "project_id:ref(projects)"}},
		{"invoices", "project_id:ref", "", []string{`field 1 "project_id:ref"`, "ref(<table>)"}},
		{"invoices", "project_id:ref()", "", []string{`field 1 "project_id:ref()"`, "ref()"}},
		{"invoices", "project_id:ref(Projects)", "", []string{"ref(Projects)"}},
		{"invoices", "user_id:ref(users)", "", []string{`field 1 "user_id:ref(users)"`, "only tenant tables made by `make table`"}},
		{"invoices", "parent_id:ref(invoices)", "", []string{`field 1 "parent_id:ref(invoices)"`, "cannot refer to itself"}},
		{"invoices", "set_note:bool note:text?", "", []string{"set_note", "note"}},
		{"invoices", "x:varchar", "", []string{"unknown type varchar"}},
		{long + "s", "y_" + long + ":text!", "", []string{"longer than 63 bytes"}},
	} {
		_, err := ParseSpec(tt.name, tt.fields, tt.singular)
		if err == nil {
			t.Errorf("ParseSpec(%q, %q, %q) succeeded, want an error with %q", tt.name, tt.fields, tt.singular, tt.want)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseSpec(%q, %q, %q) = %q, want it to say %q", tt.name, tt.fields, tt.singular, err, w)
			}
		}
	}
}

func TestNames(t *testing.T) {
	s, err := ParseSpec("line_items", "invoice_id:ref(invoices) sku:text!", "")
	if err != nil {
		t.Fatal(err)
	}
	inv, _ := ParseSpec("invoices", "project_id:ref(projects) number:text!", "")
	proj, _ := ParseSpec("projects", "name:text!", "")
	tbl, err := NewTable(s, "00006", map[string]Spec{"invoices": inv, "projects": proj})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{tbl.Pkg, tbl.Type, tbl.Plural, tbl.Var, tbl.Human, tbl.A, tbl.Path, tbl.Fields[0].GoName, tbl.Fields[0].Human}
	want := []string{"lineitems", "LineItem", "LineItems", "l", "line item", "a line item", "/line-items", "InvoiceID", "invoice"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	var fixtures []string
	for _, f := range tbl.Fixtures {
		fixtures = append(fixtures, f.Name)
	}
	if diff := cmp.Diff([]string{"projects", "invoices"}, fixtures); diff != "" {
		t.Errorf("fixtures, referenced tables first (-want +got):\n%s", diff)
	}
	if _, err := NewTable(s, "00006", map[string]Spec{"projects": proj}); err == nil || !strings.Contains(err.Error(), "ref(invoices)") {
		t.Errorf("NewTable without the referenced table's Spec: %v, want an error naming ref(invoices)", err)
	}
}
