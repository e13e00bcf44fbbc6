package main

import (
	"bytes"
	"embed"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"path"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").ParseFS(templateFS, "templates/*.tmpl"))

// Rendered is what the templates make of a table: whole new files by path
// and the blocks the generator inserts into existing files.
type Rendered struct {
	Files        map[string][]byte
	SQLCBlock    []byte
	OpenAPIPaths []byte // inserted before "# tablegen:paths"
	OpenAPISpecs []byte // inserted before "# tablegen:schemas"
}

// Render runs every template for t.
func Render(t *Table) (Rendered, error) {
	r := Rendered{Files: map[string][]byte{}}
	pkgDir := "internal/" + t.Pkg + "/"
	files := []struct{ tmpl, path string }{
		{"migration.sql.tmpl", "db/migrations/" + t.Number + "_" + t.Name + ".sql"},
		{"queries.sql.tmpl", "db/queries/" + t.Name + "/" + t.Name + ".sql"},
		{"doc.go.tmpl", pkgDir + "doc.go"},
		{"service.go.tmpl", pkgDir + t.Name + ".go"},
		{"handlers.go.tmpl", pkgDir + "handlers.go"},
		{"service_test.go.tmpl", pkgDir + t.Name + "_test.go"},
		{"http_test.go.tmpl", pkgDir + "http_test.go"},
	}
	for _, f := range files {
		if templates.Lookup(f.tmpl) == nil {
			continue
		}
		b, err := execute(f.tmpl, t)
		if err != nil {
			return Rendered{}, err
		}
		if strings.HasSuffix(f.path, ".go") {
			if b, err = formatGo(f.path, b); err != nil {
				return Rendered{}, err
			}
		}
		r.Files[f.path] = b
	}
	var err error
	if r.SQLCBlock, err = execute("sqlc.yaml.tmpl", t); err != nil {
		return Rendered{}, err
	}
	if templates.Lookup("openapi_paths.yaml.tmpl") != nil {
		if r.OpenAPIPaths, err = execute("openapi_paths.yaml.tmpl", t); err != nil {
			return Rendered{}, err
		}
		if r.OpenAPISpecs, err = execute("openapi_schemas.yaml.tmpl", t); err != nil {
			return Rendered{}, err
		}
	}
	return r, nil
}

func execute(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// majorVersion is the last element of a module path with a major version
// (github.com/jackc/pgx/v5), which is not the package's name.
var majorVersion = regexp.MustCompile(`^v[0-9]+$`)

// formatGo drops the imports src does not use (the templates import every
// package any table needs) and formats it as gofmt does.
func formatGo(name string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("generated %s does not parse (a template bug): %w\n%s", name, err, numbered(src))
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok {
				used[x.Name] = true
			}
		}
		return true
	})
	lines := strings.Split(string(src), "\n")
	drop := map[int]bool{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		local := path.Base(p)
		switch {
		case imp.Name != nil:
			local = imp.Name.Name
		case majorVersion.MatchString(local):
			local = path.Base(path.Dir(p)) // github.com/jackc/pgx/v5 is pgx
		}
		if local == "_" || local == "." || used[local] {
			continue
		}
		drop[fset.Position(imp.Pos()).Line-1] = true
	}
	kept := lines[:0]
	for i, l := range lines {
		if !drop[i] {
			kept = append(kept, l)
		}
	}
	out, err := format.Source([]byte(strings.Join(kept, "\n")))
	if err != nil {
		return nil, fmt.Errorf("format generated %s: %w", name, err)
	}
	// An import group left empty leaves two blank lines; gofmt keeps one.
	return bytes.ReplaceAll(out, []byte("(\n\n"), []byte("(\n")), nil
}

// numbered prefixes each line of src with its number, for error messages.
func numbered(src []byte) string {
	var b strings.Builder
	for i, l := range strings.Split(string(src), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, l)
	}
	return b.String()
}
