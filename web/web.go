// Package web holds the server-rendered pages: html/template files and the
// static assets they use, embedded in the binary.
//
// Invariant: pages carry no inline script or style, so the strict
// Content-Security-Policy the server sends (default-src 'self') holds.
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

// Templates parses every page template.
func Templates() (*template.Template, error) {
	return template.ParseFS(templateFS, "templates/*.html")
}

// Static is the tree of static assets, served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}
