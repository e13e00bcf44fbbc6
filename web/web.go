// Package web holds the server-rendered pages: html/template files and the
// static assets they use, embedded in the binary; and the templates of the
// mails the server sends (see internal/mail).
//
// Invariant: pages carry no inline script or style, so the strict
// Content-Security-Policy the server sends (default-src 'self') holds. Mail
// templates carry neither script nor style either: plain markup that every
// mail client shows the same.
package web

import (
	"embed"
	"html/template"
	"io/fs"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed mail
var mailFS embed.FS

// Templates parses every page template.
func Templates() (*template.Template, error) {
	return template.ParseFS(templateFS, "templates/*.html")
}

// Static is the tree of static assets, served under /static/.
func Static() fs.FS {
	return sub(staticFS, "static")
}

// MailTemplates is the tree of mail templates: per kind of mail a
// text/template <kind>.txt that defines the "subject" and the plain-text
// body, and an html/template <kind>.html with the HTML body; layout.txt and
// layout.html hold what they share. internal/mail parses them.
func MailTemplates() fs.FS {
	return sub(mailFS, "mail")
}

// sub returns the embedded directory dir of fsys.
func sub(fsys embed.FS, dir string) fs.FS {
	s, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return s
}
