package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// fakeRepo makes a repository for the generator in a temporary directory:
// the files it edits (from this repository, for their markers) and two
// migrations, one with a table made by `make table` (tablegen_parents, with
// its package) for ref fields to point at.
func fakeRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{sqlcFile, componentsFile, openAPIFile} {
		copyFile(t, dir, f)
	}
	writeFile(t, dir, "db/migrations/00001_platform.sql", []byte("-- +goose Up\nCREATE TABLE tenants (id uuid PRIMARY KEY);\n"))
	writeFile(t, dir, "db/migrations/00002_tablegen_parents.sql", []byte(
		"-- tablegen_parents: a tenant table, written by\n--   make table NAME=tablegen_parents FIELDS=\"name:text! size:int?\"\n\n"+
			"-- +goose Up\nCREATE TABLE tablegen_parents (tenant_id uuid, id uuid);\n"))
	writeFile(t, dir, "internal/tablegenparents/doc.go", []byte("package tablegenparents\n"))
	return dir
}

func copyFile(t *testing.T, dir, rel string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, rel, b)
}

func writeFile(t *testing.T, dir, rel string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rel), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot is every file under dir with its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			files[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(path)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func generate(t *testing.T, root, name, fields string) error {
	t.Helper()
	var out bytes.Buffer
	return run([]string{"-root", root, "-name", name, "-fields", fields}, &out)
}

// TestRunTwice: the first run writes the table's files and lists them; the
// second fails, names what exists, and changes nothing.
func TestRunTwice(t *testing.T) {
	root := fakeRepo(t)
	before := snapshot(t, root)
	var out bytes.Buffer
	const fields = "parent_id:ref(tablegen_parents) number:text! amount_cents:bigint status:text note:text?"
	if err := run([]string{"-root", root, "-name", "tablegen_probes", "-fields", fields}, &out); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, root)
	var added, changed []string
	for p, b := range after {
		old, ok := before[p]
		switch {
		case !ok && !strings.HasSuffix(p, "/"):
			added = append(added, p)
		case ok && old != b:
			changed = append(changed, p)
		}
	}
	wantAdded := []string{
		"db/migrations/00003_tablegen_probes.sql", "db/queries/tablegen_probes/tablegen_probes.sql",
		"internal/tablegenprobes/doc.go", "internal/tablegenprobes/handlers.go", "internal/tablegenprobes/http_test.go",
		"internal/tablegenprobes/tablegen_probes.go", "internal/tablegenprobes/tablegen_probes_test.go",
	}
	wantChanged := []string{componentsFile, openAPIFile, sqlcFile}
	if diff := cmp.Diff(wantAdded, sortedKeys(setOf(added))); diff != "" {
		t.Errorf("new files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantChanged, sortedKeys(setOf(changed))); diff != "" {
		t.Errorf("changed files (-want +got):\n%s", diff)
	}
	for _, p := range append(wantAdded, wantChanged...) {
		if !strings.Contains(out.String(), " "+p+"\n") {
			t.Errorf("the output does not list %s:\n%s", p, out.String())
		}
	}
	migration := after["db/migrations/00003_tablegen_probes.sql"]
	if !strings.Contains(migration, "--   make table NAME=tablegen_probes FIELDS=\""+fields+"\"\n") {
		t.Errorf("the migration's header does not record the command:\n%s", migration)
	}

	// The inserted blocks are where they belong, in valid YAML.
	var doc struct {
		Paths      map[string]any `yaml:"paths"`
		Components struct {
			Schemas map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal([]byte(after[openAPIFile]), &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	for _, p := range []string{"/tablegen-probes", "/tablegen-probes/{id}"} {
		if doc.Paths[p] == nil {
			t.Errorf("openapi.yaml has no path %s", p)
		}
	}
	for _, name := range []string{"TablegenProbe", "TablegenProbeInput", "TablegenProbePatch", "TablegenProbeResponse", "TablegenProbePage"} {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("openapi.yaml has no schema %s", name)
		}
	}
	for file, want := range map[string]string{
		openAPIFile:    "\n  # tablegen_probes: internal/tablegenprobes, written by\n  #   make table NAME=tablegen_probes",
		componentsFile: "\t\ttablegenprobes.NewService(),\n\t\t" + componentsMarker + "\n",
		sqlcFile:       "\n  - engine: postgresql\n    schema: db/schema/schema.sql\n    queries: db/queries/tablegen_probes\n",
	} {
		if !strings.Contains(after[file], want) {
			t.Errorf("%s does not have %q", file, want)
		}
	}
	if !strings.Contains(after[componentsFile], `"github.com/tenantkit/tenantkit/internal/tablegenprobes"`) {
		t.Errorf("%s does not import the component", componentsFile)
	}

	err := run([]string{"-root", root, "-name", "tablegen_probes", "-fields", fields}, &out)
	for _, want := range []string{"nothing was written", "00003_tablegen_probes.sql already creates a table named tablegen_probes", "internal/tablegenprobes/ exists already", "sqlc.yaml", "components.go", "openapi.yaml"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("second run: %v; want it to say %q", err, want)
		}
	}
	if diff := cmp.Diff(after, snapshot(t, root)); diff != "" {
		t.Errorf("the failed second run changed files (-before +after):\n%s", diff)
	}
}

func setOf(s []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	return m
}

// TestRunRefuses: a ref to a table the generator did not make, and a
// missing marker, stop the run before it writes anything.
func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, root string)
		fields string
		want   []string
	}{
		{
			"ref to a table made by hand",
			func(t *testing.T, root string) {
				writeFile(t, root, "db/migrations/00003_widgets.sql", []byte("-- +goose Up\nCREATE TABLE widgets (tenant_id uuid, id uuid);\n"))
			},
			"widget_id:ref(widgets)",
			[]string{"widget_id refers to widgets", "no migration in db/migrations was written by `make table NAME=widgets`"},
		},
		{"ref to no table", nil, "x_id:ref(nothings)", []string{"x_id refers to nothings"}},
		{
			"no components marker",
			func(t *testing.T, root string) { replaceIn(t, root, componentsFile, componentsMarker, "// gone") },
			"x:text",
			[]string{componentsFile, `no line "// tablegen:components"`},
		},
		{
			"no openapi paths marker",
			func(t *testing.T, root string) { replaceIn(t, root, openAPIFile, openAPIPathsMarker, "# gone") },
			"x:text",
			[]string{openAPIFile, `no line "# tablegen:paths"`},
		},
		{
			"no openapi schemas marker",
			func(t *testing.T, root string) { replaceIn(t, root, openAPIFile, openAPISpecsMarker, "# gone") },
			"x:text",
			[]string{openAPIFile, `no line "# tablegen:schemas"`},
		},
		{
			"a table of that name made by hand",
			func(t *testing.T, root string) {
				writeFile(t, root, "db/migrations/00003_more.sql", []byte("-- +goose Up\nCREATE TABLE tablegen_probes (id uuid);\n"))
			},
			"x:text",
			[]string{"00003_more.sql already creates a table named tablegen_probes"},
		},
		{
			"the package exists",
			func(t *testing.T, root string) {
				writeFile(t, root, "internal/tablegenprobes/x.go", []byte("package tablegenprobes\n"))
			},
			"x:text",
			[]string{"internal/tablegenprobes/ exists already"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := fakeRepo(t)
			if tt.setup != nil {
				tt.setup(t, root)
			}
			before := snapshot(t, root)
			err := generate(t, root, "tablegen_probes", tt.fields)
			for _, want := range append(tt.want, "nothing was written") {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("run: %v; want it to say %q", err, want)
				}
			}
			if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
				t.Errorf("the failed run changed files (-before +after):\n%s", diff)
			}
		})
	}
}

func replaceIn(t *testing.T, root, rel, old, new string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", rel, old)
	}
	writeFile(t, root, rel, bytes.ReplaceAll(b, []byte(old), []byte(new)))
}

// TestApplyAllOrNothing: when a write fails half-way, the files written
// before it are removed or restored, and the new directories removed.
func TestApplyAllOrNothing(t *testing.T) {
	root := fakeRepo(t)
	before := snapshot(t, root)
	old, err := os.ReadFile(filepath.Join(root, sqlcFile))
	if err != nil {
		t.Fatal(err)
	}
	changes := []Change{
		{Path: "db/queries/tablegen_probes/tablegen_probes.sql", New: []byte("new\n")},
		{Path: sqlcFile, Old: old, New: []byte("changed\n")},
		{Path: "internal/tablegenprobes/doc.go", New: []byte("package tablegenprobes\n")},
		{Path: "internal/tablegenprobes/tablegen_probes.go", New: []byte("package tablegenprobes\n")},
	}
	renames := 0
	rename = func(from, to string) error {
		if renames++; renames == len(changes) {
			return errors.New("disk full")
		}
		return os.Rename(from, to)
	}
	t.Cleanup(func() { rename = os.Rename })
	if err := Apply(root, changes); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Apply = %v, want the rename's error", err)
	}
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Errorf("a failed Apply left changes (-before +after):\n%s", diff)
	}

	// A write that fails before any rename (a file where a directory must
	// go) leaves nothing either.
	rename = os.Rename
	writeFile(t, root, "internal/blocked", []byte("a file\n"))
	before = snapshot(t, root)
	changes = append(changes[:3], Change{Path: "internal/blocked/x.go", New: []byte("package x\n")})
	if err := Apply(root, changes); err == nil {
		t.Fatal("Apply under a file succeeded")
	}
	if diff := cmp.Diff(before, snapshot(t, root)); diff != "" {
		t.Errorf("a failed Apply left changes (-before +after):\n%s", diff)
	}
}
