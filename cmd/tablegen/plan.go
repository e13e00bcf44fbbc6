package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The lines in existing files before which the generator inserts.
const (
	componentsMarker   = "// tablegen:components"
	openAPIPathsMarker = "# tablegen:paths"
	openAPISpecsMarker = "# tablegen:schemas"
)

// The existing files the generator changes.
const (
	sqlcFile       = "sqlc.yaml"
	componentsFile = "internal/app/components.go"
	openAPIFile    = "internal/http/openapi.yaml"
	migrationsDir  = "db/migrations"
)

// modulePath is the module the generated imports are in.
const modulePath = "github.com/tenantkit/tenantkit"

// Change is one file the generator writes: a new one (Old is nil) or a
// changed one.
type Change struct {
	Path     string
	Old, New []byte
}

// Plan works out every file a run writes, reading the repository at root
// and writing nothing. It fails, naming every reason, when the table or
// any of its files exists already or an existing file lacks its marker.
func Plan(root string, s Spec) ([]Change, *Table, error) {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	migrations, err := readMigrations(root)
	if err != nil {
		return nil, nil, err
	}
	number := 1
	refs := map[string]Spec{}
	for _, m := range migrations {
		number = max(number, m.number+1)
		if m.table == s.Name {
			fail("%s already creates a table named %s", m.path, s.Name)
		}
		if slices.Contains(m.creates, s.Name) && m.table != s.Name {
			fail("%s already creates a table named %s", m.path, s.Name)
		}
		if m.spec != nil {
			refs[m.spec.Name] = *m.spec
		}
	}
	refProblems := false
	for _, f := range s.Fields {
		if f.Kind != Ref {
			continue
		}
		if _, ok := refs[f.RefTable]; !ok {
			refProblems = true
			fail("field %s refers to %s, but no migration in %s was written by `make table NAME=%s` (a ref can only point at a table the generator made: its tests build rows of the referenced table from the FIELDS in that migration's header)", f.Name, f.RefTable, migrationsDir, f.RefTable)
			continue
		}
		if _, err := os.Stat(filepath.Join(root, "internal", strings.ReplaceAll(f.RefTable, "_", ""))); err != nil {
			refProblems = true
			fail("field %s refers to %s, but its package internal/%s is missing (the tests call its Service)", f.Name, f.RefTable, strings.ReplaceAll(f.RefTable, "_", ""))
		}
	}
	if refProblems {
		return nil, nil, planError(problems) // the files cannot be rendered
	}

	t, err := NewTable(s, fmt.Sprintf("%05d", number), refs)
	if err != nil {
		return nil, nil, err
	}
	r, err := Render(t)
	if err != nil {
		return nil, nil, err
	}

	var changes []Change
	var taken []string // directories that exist
	for _, dir := range []string{"db/queries/" + s.Name + "/", "internal/" + t.Pkg + "/"} {
		if _, err := os.Stat(filepath.Join(root, dir)); err == nil {
			fail("%s exists already", dir)
			taken = append(taken, dir)
		}
	}
	for _, p := range sortedKeys(r.Files) {
		inTaken := slices.ContainsFunc(taken, func(dir string) bool { return strings.HasPrefix(p, dir) })
		if _, err := os.Stat(filepath.Join(root, p)); err == nil && !inTaken {
			fail("%s exists already", p)
		}
		changes = append(changes, Change{Path: p, New: r.Files[p]})
	}

	edit := func(path string, fn func(old []byte) ([]byte, error)) {
		old, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			fail("%v", err)
			return
		}
		b, err := fn(old)
		if err != nil {
			fail("%s: %v", path, err)
			return
		}
		changes = append(changes, Change{Path: path, Old: old, New: b})
	}
	edit(sqlcFile, func(old []byte) ([]byte, error) { return addSQLCBlock(old, t, r.SQLCBlock) })
	edit(componentsFile, func(old []byte) ([]byte, error) { return addComponent(old, t) })
	edit(openAPIFile, func(old []byte) ([]byte, error) { return addOpenAPI(old, t, r) })
	if len(problems) > 0 {
		return nil, nil, planError(problems)
	}
	return changes, t, nil
}

func planError(problems []string) error {
	return fmt.Errorf("nothing was written:\n  %s", strings.Join(problems, "\n  "))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// migration is what the generator needs of one migration file.
type migration struct {
	path    string
	number  int
	table   string   // from the file name: 00004_projects.sql → projects
	creates []string // the tables its CREATE TABLE statements name
	spec    *Spec    // the `make table` command in its header, if any
}

var (
	migrationName = regexp.MustCompile(`^(\d+)_([a-z0-9_]+)\.sql$`)
	createTable   = regexp.MustCompile(`(?i)\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:public\.)?"?([a-z_][a-z0-9_]*)"?`)
)

func readMigrations(root string) ([]migration, error) {
	dir := filepath.Join(root, migrationsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read the migrations (run from the repository's root, or pass -root): %w", err)
	}
	var out []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		mg := migration{path: migrationsDir + "/" + e.Name(), number: n, table: m[2]}
		for _, c := range createTable.FindAllStringSubmatch(string(b), -1) {
			mg.creates = append(mg.creates, strings.ToLower(c[1]))
		}
		spec, ok, err := ParseHeader(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: its `make table` header: %w", mg.path, err)
		}
		if ok {
			mg.spec = &spec
		}
		out = append(out, mg)
	}
	return out, nil
}

// addSQLCBlock appends the component's block to sqlc.yaml's sql: list,
// which must be the file's last top-level key.
func addSQLCBlock(old []byte, t *Table, block []byte) ([]byte, error) {
	if bytes.Contains(old, []byte("queries: db/queries/"+t.Name+"\n")) {
		return nil, fmt.Errorf("it has a block for db/queries/%s already", t.Name)
	}
	if bytes.Contains(old, []byte("out: internal/"+t.Pkg+"/")) {
		return nil, fmt.Errorf("it writes into internal/%s/ already", t.Pkg)
	}
	lines := strings.Split(strings.TrimRight(string(old), "\n"), "\n")
	sqlAt := slices.Index(lines, "sql:")
	if sqlAt < 0 {
		return nil, errors.New(`no top-level "sql:" list to add the component's block to`)
	}
	for _, l := range lines[sqlAt+1:] {
		if l != "" && l[0] != ' ' && l[0] != '#' && l[0] != '-' {
			return nil, fmt.Errorf(`"sql:" is not the last top-level key (%q follows it); the generator appends to it`, l)
		}
	}
	return append([]byte(strings.Join(lines, "\n")+"\n"), block...), nil
}

// addComponent adds the component's constructor before the marker in
// components() and its import.
func addComponent(old []byte, t *Table) ([]byte, error) {
	src := string(old)
	call := t.Pkg + ".NewService(),"
	if strings.Contains(src, call) {
		return nil, fmt.Errorf("it lists %s already", call)
	}
	lines := strings.Split(src, "\n")
	at := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == componentsMarker {
			if at >= 0 {
				return nil, fmt.Errorf("the marker %q is there twice", componentsMarker)
			}
			at = i
		}
	}
	if at < 0 {
		return nil, fmt.Errorf("no line %q to add the component before", componentsMarker)
	}
	indent := lines[at][:len(lines[at])-len(strings.TrimLeft(lines[at], " \t"))]
	lines = slices.Insert(lines, at, indent+call)
	src = strings.Join(lines, "\n")

	imp := "\"" + modulePath + "/internal/" + t.Pkg + "\""
	start := strings.Index(src, "import (\n")
	if start < 0 {
		return nil, errors.New(`no "import (" block to add the import to`)
	}
	end := strings.Index(src[start:], "\n)\n")
	if end < 0 {
		return nil, errors.New(`its "import (" block does not end`)
	}
	end += start
	src = src[:end] + "\n\t" + imp + src[end:]
	return formatGo(componentsFile, []byte(src))
}

// addOpenAPI inserts the component's path items and schemas before the
// two markers.
func addOpenAPI(old []byte, t *Table, r Rendered) ([]byte, error) {
	src := string(old)
	for _, name := range []string{"\n  " + t.Path + ":\n", "\n    " + t.Type + ":\n", "\n    " + t.Type + "Input:\n"} {
		if strings.Contains(src, name) {
			return nil, fmt.Errorf("it describes %s already", strings.TrimSpace(name))
		}
	}
	var err error
	if src, err = insertBefore(src, openAPIPathsMarker, string(r.OpenAPIPaths)); err != nil {
		return nil, err
	}
	if src, err = insertBefore(src, openAPISpecsMarker, string(r.OpenAPISpecs)); err != nil {
		return nil, err
	}
	return []byte(src), nil
}

// insertBefore inserts text before the one line of src that is marker
// (indented).
func insertBefore(src, marker, text string) (string, error) {
	lines := strings.SplitAfter(src, "\n")
	at := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == marker {
			if at >= 0 {
				return "", fmt.Errorf("the marker %q is there twice", marker)
			}
			at = i
		}
	}
	if at < 0 {
		return "", fmt.Errorf("no line %q to insert before", marker)
	}
	return strings.Join(lines[:at], "") + text + strings.Join(lines[at:], ""), nil
}

// Apply writes the changes under root so that either all of them land or
// none: every file is first written to a temporary file beside it, then
// the temporary files are renamed into place; if anything fails, what was
// renamed is put back and the new directories are removed.
func Apply(root string, changes []Change) (err error) {
	var created []string // new directories, parents first
	type pending struct {
		Change
		tmp string
	}
	var pend []pending
	var done []pending
	defer func() {
		if err == nil {
			return
		}
		for _, p := range pend {
			os.Remove(p.tmp)
		}
		for _, p := range slices.Backward(done) {
			full := filepath.Join(root, p.Path)
			if p.Old == nil {
				os.Remove(full)
			} else if werr := os.WriteFile(full, p.Old, 0o644); werr != nil {
				err = fmt.Errorf("%w; and restoring %s failed: %w", err, p.Path, werr)
			}
		}
		for _, d := range slices.Backward(created) {
			os.Remove(d)
		}
	}()

	for _, c := range changes {
		full := filepath.Join(root, c.Path)
		dirs, err := mkdirAll(filepath.Dir(full))
		created = append(created, dirs...)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if c.Old != nil {
			st, err := os.Stat(full)
			if err != nil {
				return err
			}
			mode = st.Mode().Perm()
		} else if _, err := os.Lstat(full); err == nil {
			return fmt.Errorf("%s exists already", c.Path)
		}
		f, err := os.CreateTemp(filepath.Dir(full), "."+filepath.Base(full)+".tablegen-*")
		if err != nil {
			return err
		}
		pend = append(pend, pending{c, f.Name()})
		_, werr := f.Write(c.New)
		cerr := f.Close()
		if err := errors.Join(werr, cerr, os.Chmod(f.Name(), mode)); err != nil {
			return fmt.Errorf("write %s: %w", c.Path, err)
		}
	}
	for len(pend) > 0 {
		p := pend[0]
		if err := rename(p.tmp, filepath.Join(root, p.Path)); err != nil {
			return fmt.Errorf("write %s: %w", p.Path, err)
		}
		pend = pend[1:]
		done = append(done, p)
	}
	return nil
}

// rename is os.Rename; tests make it fail.
var rename = os.Rename

// mkdirAll is os.MkdirAll that returns the directories it created.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	slices.Reverse(missing)
	var created []string
	for _, d := range missing {
		if err := os.Mkdir(d, 0o755); err != nil {
			return created, err
		}
		created = append(created, d)
	}
	return created, nil
}
