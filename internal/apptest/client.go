package apptest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/session"
)

// Client is one browser: it keeps the cookies the app sets.
type Client struct {
	env  *Env
	http *http.Client
}

// Client returns a new browser with an empty cookie jar.
func (e *Env) Client() *Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.T.Fatal(err)
	}
	return &Client{env: e, http: &http.Client{Jar: jar}}
}

// Header is a request header to send.
type Header struct{ Key, Value string }

// InTenant names the tenant a request is for (X-Tenant, by id).
func InTenant(t Tenant) Header { return Header{"X-Tenant", t.ID} }

// Response is a finished response with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request to path (such as "/api/me?x=1") and returns the
// response, whatever its status. body is nil (no body), a string or []byte
// (sent as it is), or any other value (sent as its JSON); a body is labelled
// application/json unless a header says otherwise. Headers are set in order,
// so a later one replaces an earlier one with the same key.
func (c *Client) Do(method, path string, body any, headers ...Header) Response {
	t := c.env.T
	t.Helper()
	var reqBody []byte
	switch b := body.(type) {
	case nil:
	case string:
		reqBody = []byte(b)
	case []byte:
		reqBody = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("apptest: %s %s: marshal body: %v", method, path, err)
		}
		reqBody = j
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(reqBody)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, c.env.URL+path, rd)
	if err != nil {
		t.Fatalf("apptest: %s %s: %v", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		req.Header.Set(h.Key, h.Value)
	}
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("apptest: %s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	resBody, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("apptest: %s %s: read response: %v", method, path, err)
	}

	// The one place every exchange is checked against openapi.yaml
	// (Env.check; nil until openapi.go's checkSpec is plugged in in New).
	if c.env.check != nil {
		c.env.check(t, req, reqBody, res, resBody)
	}

	return Response{Status: res.StatusCode, Header: res.Header, Body: resBody}
}

// Must is Do, and fails the test unless the status is want.
func (c *Client) Must(want int, method, path string, body any, headers ...Header) Response {
	c.env.T.Helper()
	r := c.Do(method, path, body, headers...)
	if r.Status != want {
		c.env.T.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// SessionCookie returns the client's session token, or "" if it has none.
func (c *Client) SessionCookie() string {
	for _, ck := range c.http.Jar.Cookies(c.env.baseURL()) {
		if strings.HasSuffix(ck.Name, session.DefaultCookieName) {
			return ck.Value
		}
	}
	return ""
}

// WithCookie returns a new browser that presents only the session token
// given (one taken from another client with SessionCookie, or a forged one).
func (c *Client) WithCookie(token string) *Client {
	n := c.env.Client()
	n.http.Jar.SetCookies(c.env.baseURL(), []*http.Cookie{{Name: session.DefaultCookieName, Value: token, Path: "/"}})
	return n
}

func (e *Env) baseURL() *url.URL {
	u, err := url.Parse(e.URL)
	if err != nil {
		e.T.Fatalf("apptest: %v", err)
	}
	return u
}

// JSON decodes the body, which must be a JSON object, into a map.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response (status %d) is not a JSON object: %v: %s", r.Status, err, r.Body)
	}
	return m
}

// Decode decodes the JSON body into v.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response (status %d): decode into %T: %v: %s", r.Status, v, err, r.Body)
	}
}

// Code returns the code of a problem response. It fails the test unless
// the response is application/problem+json.
func (r Response) Code(t testing.TB) string {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d, body %s)", ct, r.Status, r.Body)
	}
	code, _ := r.JSON(t)["code"].(string)
	return code
}
