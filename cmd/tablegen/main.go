// Command tablegen writes everything a new tenant table needs: the
// migration (RLS enabled and forced, one tenant policy, grants to the tenant
// role only, composite keys), the sqlc queries and their sqlc.yaml block, the
// domain component internal/<pkg> (Service, errors, JSON routes) with its
// tests, its line in internal/app/components.go and its operations in
// internal/http/openapi.yaml. `make table` runs it, then `make generate`:
//
//	make table NAME=invoices FIELDS="project_id:ref(projects) number:text! amount_cents:bigint note:text?"
//
// FIELDS is a space-separated list of name:type, where type is text,
// bigint, int, bool, timestamptz or ref(<table>), followed by ! (unique per
// tenant) or ? (nullable). NAME is the plural snake_case table name; the
// singular is derived (SINGULAR= overrides it) and the Go package is NAME
// without underscores. internal/projects is exactly what
// `make table NAME=projects FIELDS="name:text!"` writes; a golden test
// keeps the two the same.
//
// It writes nothing unless every file can be written: a name that is taken,
// a file that exists or a marker that is missing stops it before the first
// write.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tablegen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tablegen", flag.ContinueOnError)
	fs.SetOutput(stdout)
	name := fs.String("name", "", "the table: plural snake_case, e.g. invoices or line_items (make: NAME=)")
	fields := fs.String("fields", "", `the fields, e.g. "project_id:ref(projects) number:text! note:text?" (make: FIELDS=)`)
	singular := fs.String("singular", "", "the singular, when the derived one is wrong (make: SINGULAR=)")
	root := fs.String("root", ".", "the repository's root")
	fs.Usage = func() {
		fmt.Fprintln(stdout, `usage: make table NAME=<plural> FIELDS="<name>:<type>[!|?] ..." [SINGULAR=<singular>]
   or: go run ./cmd/tablegen -name <plural> -fields "..." [-singular <singular>]

types: text (1..200 characters), bigint, int, bool, timestamptz, ref(<table>)
       (a ref's name ends in _id; <table> is one that make table wrote)
! makes a field unique per tenant, ? makes it nullable (optional).`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; quote FIELDS", fs.Args())
	}
	s, err := ParseSpec(*name, *fields, *singular)
	if err != nil {
		return err
	}
	changes, t, err := Plan(*root, s)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Command(), err)
	}
	if err := Apply(*root, changes); err != nil {
		return fmt.Errorf("%s: nothing was written: %w", s.Command(), err)
	}
	fmt.Fprintf(stdout, "tablegen: %s\n", s.Command())
	for _, c := range changes {
		verb := "wrote  "
		if c.Old != nil {
			verb = "changed"
		}
		fmt.Fprintf(stdout, "  %s %s\n", verb, c.Path)
	}
	fmt.Fprintf(stdout, "next: make generate writes db/schema/schema.sql and internal/%s/internal/%sdb (make table runs it)\n", t.Pkg, t.Pkg)
	return nil
}
