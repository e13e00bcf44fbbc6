package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the example component's files (internal/projects, its migration and queries) from the templates")

// repoRoot is the repository, from this package's directory.
const repoRoot = "../.."

// TestGoldenProjects renders `make table NAME=projects FIELDS="name:text!"`
// with migration number 00004 in memory and compares it with the example
// component as committed, so that the example and the generator cannot
// drift apart. To change the shape of every component, change the
// templates, run `go test ./cmd/tablegen -run Golden -update` (which
// rewrites the example's own files; sqlc.yaml and openapi.yaml blocks are
// printed to paste) and `make generate`.
func TestGoldenProjects(t *testing.T) {
	s, err := ParseSpec("projects", "name:text!", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Command(), `make table NAME=projects FIELDS="name:text!"`; got != want {
		t.Errorf("Command() = %s, want %s", got, want)
	}
	tbl, err := NewTable(s, "00004", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Render(tbl)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range sortedKeys(r.Files) {
		got := r.Files[path]
		full := filepath.Join(repoRoot, path)
		if *update {
			if err := os.WriteFile(full, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(full)
		if err != nil {
			t.Errorf("%s: %v; the generator writes it for projects (go test ./cmd/tablegen -run Golden -update writes it)", path, err)
			continue
		}
		if diff := cmp.Diff(lines(want), lines(got)); diff != "" {
			t.Errorf("%s differs from what the generator writes for projects (-committed +generated):\n%s", path, diff)
		}
	}

	blocks := []struct {
		file  string
		block []byte
	}{
		{sqlcFile, r.SQLCBlock},
		{openAPIFile, r.OpenAPIPaths},
		{openAPIFile, r.OpenAPISpecs},
	}
	for _, b := range blocks {
		have, err := os.ReadFile(filepath.Join(repoRoot, b.file))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(have, append([]byte("\n"), b.block...)) { // whole lines
			t.Errorf("%s does not hold the projects block the generator writes; closest:\n%s\nwant, verbatim:\n%s",
				b.file, cmp.Diff(lines(closest(have, b.block)), lines(b.block)), b.block)
		}
	}

	// The component's line in internal/app is there too.
	comps, err := os.ReadFile(filepath.Join(repoRoot, componentsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(comps, []byte("\t\tprojects.NewService(),\n")) {
		t.Errorf("%s does not list projects.NewService()", componentsFile)
	}
}

func lines(b []byte) []string { return strings.SplitAfter(string(b), "\n") }

// closest is the part of have that starts where block's first line does
// and is as many lines long, for a readable diff.
func closest(have, block []byte) []byte {
	first, _, _ := bytes.Cut(block, []byte("\n"))
	i := bytes.Index(have, append(first, '\n'))
	if i < 0 {
		return nil
	}
	n := bytes.Count(block, []byte("\n"))
	rest := have[i:]
	end := 0
	for range n {
		j := bytes.IndexByte(rest[end:], '\n')
		if j < 0 {
			return rest
		}
		end += j + 1
	}
	return rest[:end]
}
