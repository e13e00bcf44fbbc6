package mailtest

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Token finds the link <anything>/<path>?token=X in m's text part, checks
// that the HTML part links to the very same URL, and returns X. path is the
// page, such as "verify-email". It fails the test when there is no such
// link, more than one different one, or the HTML part lacks it.
func Token(t testing.TB, m Received, path string) string {
	t.Helper()
	// Links: bare http(s) URLs in the text part, href values in the HTML
	// part (the standard library has no HTML parser; account mail is
	// simple enough for a pattern).
	textLink := regexp.MustCompile(`https?://[^\s<>"]+`)
	hrefAttr := regexp.MustCompile(`(?i)\bhref\s*=\s*"([^"]*)"`)
	suffix := "/" + strings.Trim(path, "/")
	var link, token string
	for _, raw := range textLink.FindAllString(m.Text, -1) {
		u, err := url.Parse(raw)
		if err != nil || !strings.HasSuffix(u.Path, suffix) || !u.Query().Has("token") {
			continue
		}
		if link != "" && raw != link {
			t.Fatalf("mailtest: two different %s links in the text part: %s and %s", suffix, link, raw)
		}
		link, token = raw, u.Query().Get("token")
	}
	if link == "" {
		t.Fatalf("mailtest: no link to %s?token= in the text part of %q:\n%s", suffix, m.Subject, m.Text)
	}
	if token == "" {
		t.Fatalf("mailtest: link %s has an empty token", link)
	}
	for _, match := range hrefAttr.FindAllStringSubmatch(m.HTML, -1) {
		if html.UnescapeString(match[1]) == link {
			return token
		}
	}
	t.Fatalf("mailtest: the HTML part of %q has no href to %s:\n%s", m.Subject, link, m.HTML)
	return ""
}
