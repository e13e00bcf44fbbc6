package main

import (
	"fmt"
	"slices"
	"strings"
)

// Table is what the templates render: a Spec with every name derived.
type Table struct {
	Spec
	Number  string // the migration's number, e.g. 00005
	Example bool   // the example component (projects), whose comments say so

	Pkg         string // Go package: line_items → lineitems
	Type        string // Go type of one row: LineItem
	Plural      string // LineItems
	LowerType   string // lineItem
	Var         string // a short variable for one row: l
	Human       string // line item
	HumanPlural string // line items
	A           string // a line item
	ACap        string // A line item
	Path        string // /line-items
	Tag         string // OpenAPI tag: line-items
	MaxText     int

	Fields []FieldData
	// Fixtures are the tables the tests insert rows into with raw SQL for
	// ref fields to point at, referenced ones first.
	Fixtures []*Table
}

// FieldData is a Field with what the templates need to say about it.
type FieldData struct {
	Field
	GoName string // AmountCents
	Var    string // a Go variable for a value of the field: amountCents
	Human  string // amount cents; for a ref, the referenced row: project
	// OpenAPIExample is the value openapi.yaml's examples show.
	OpenAPIExample string

	Ref *Table // the referenced table, for a ref
}

// goNames are the identifiers the generated files use for their own
// variables, imports and helpers; a field's variable must not be one.
var goNames = []string{
	"a", "after", "any", "append", "b", "bool", "cap", "cleared", "close", "cmp", "context",
	"create", "ctx", "dbtest", "delete", "empty", "err", "error", "errors", "false", "fe", "got",
	"httpapi", "i", "id", "in", "int", "int32", "int64", "k", "len", "m", "make", "max", "min",
	"n", "new", "nil", "ok", "os", "other", "own", "p", "page", "panic", "print", "println",
	"r", "s", "same", "string", "strings", "t", "tenancy", "tenancytest", "testing", "time",
	"tn", "true", "tt", "upd", "uuid", "validation", "w", "want",
}

// NewTable derives every name from s. refs are the Specs of the tables
// that s's ref fields name (and of the tables those refer to), by name.
func NewTable(s Spec, number string, refs map[string]Spec) (*Table, error) {
	return newTable(s, number, refs, 0)
}

func newTable(s Spec, number string, refs map[string]Spec, depth int) (*Table, error) {
	if depth > 20 {
		return nil, fmt.Errorf("ref fields of %s nest too deep", s.Name)
	}
	t := &Table{
		Spec:        s,
		Number:      number,
		Example:     s.Name == "projects",
		Pkg:         strings.ReplaceAll(s.Name, "_", ""),
		Type:        camel(s.Singular),
		Plural:      camel(s.Name),
		LowerType:   lowerCamel(s.Singular),
		Human:       words(s.Singular),
		HumanPlural: words(s.Name),
		Path:        "/" + strings.ReplaceAll(s.Name, "_", "-"),
		Tag:         strings.ReplaceAll(s.Name, "_", "-"),
		MaxText:     maxText,
	}
	t.A = article(t.Human) + " " + t.Human
	t.ACap = strings.ToUpper(t.A[:1]) + t.A[1:]
	// The row's variable: its initial, as p for a project, unless that is
	// taken (r is the request, s the service, …); then its name, if short.
	t.Var = s.Singular[:1]
	if slices.Contains([]string{"a", "b", "i", "k", "m", "n", "q", "r", "s", "t", "w"}, t.Var) {
		t.Var = lowerCamel(s.Singular)
		if len(t.Var) > 10 || slices.Contains(goNames, t.Var) || slices.Contains(goKeywords, t.Var) || t.Var == t.Pkg {
			t.Var = "v"
		}
	}
	for _, f := range s.Fields {
		fd := FieldData{Field: f, GoName: camel(f.Name), Human: words(f.Name)}
		fd.Var = lowerCamel(f.Name)
		if slices.Contains(goNames, fd.Var) || slices.Contains(goKeywords, fd.Var) || fd.Var == t.Pkg || fd.Var == t.Var {
			fd.Var += "Value"
		}
		if f.Kind == Ref {
			fd.Human = words(strings.TrimSuffix(f.Name, "_id"))
			rs, ok := refs[f.RefTable]
			if !ok {
				return nil, fmt.Errorf("field %s: ref(%s): no table %s made by `make table`", f.Name, f.RefTable, f.RefTable)
			}
			rt, err := newTable(rs, "", refs, depth+1)
			if err != nil {
				return nil, err
			}
			fd.Ref = rt
		}
		fd.OpenAPIExample = fd.openAPIExample(t.Example)
		t.Fields = append(t.Fields, fd)
	}
	// Fixtures: every table reachable through ref fields, each once,
	// referenced tables before the tables that refer to them.
	seen := map[string]bool{}
	var visit func(x *Table)
	visit = func(x *Table) {
		for _, f := range x.Fields {
			if f.Ref != nil && !seen[f.Ref.Name] {
				seen[f.Ref.Name] = true
				visit(f.Ref)
				t.Fixtures = append(t.Fixtures, f.Ref)
			}
		}
	}
	visit(t)
	return t, nil
}

// ---- Field facts -----------------------------------------------------

// IsRef reports whether the field is a ref.
func (f FieldData) IsRef() bool { return f.Kind == Ref }

// SQLType is the column type.
func (f FieldData) SQLType() string {
	return map[Kind]string{
		Text: "text", BigInt: "bigint", Int: "integer", Bool: "boolean", Timestamptz: "timestamptz", Ref: "uuid",
	}[f.Kind]
}

// BaseType is the Go type of a value of the field.
func (f FieldData) BaseType() string {
	return map[Kind]string{
		Text: "string", BigInt: "int64", Int: "int32", Bool: "bool", Timestamptz: "time.Time", Ref: "uuid.UUID",
	}[f.Kind]
}

// GoType is the field's type in the row struct: sqlc's, so that a row
// converts to it (a nullable uuid is uuid.NullUUID by sqlc.yaml's override).
func (f FieldData) GoType() string {
	switch {
	case !f.Nullable:
		return f.BaseType()
	case f.Kind == Ref:
		return "uuid.NullUUID"
	}
	return "*" + f.BaseType()
}

// InputType is the field's type in Input. Text, ids and times have a zero
// value that is never valid, so a missing one is caught as such; numbers
// and bools are pointers, so that leaving one out is an error, not 0.
func (f FieldData) InputType() string {
	if f.Nullable {
		return "*" + f.BaseType()
	}
	switch f.Kind {
	case BigInt, Int, Bool:
		return "*" + f.BaseType()
	}
	return f.BaseType()
}

// InputRequiredPointer reports whether the Input field is a pointer that
// must be set.
func (f FieldData) InputRequiredPointer() bool {
	return !f.Nullable && strings.HasPrefix(f.InputType(), "*")
}

// PatchType is the field's type in Patch.
func (f FieldData) PatchType() string {
	if f.Nullable {
		return "httpapi.Optional[" + f.BaseType() + "]"
	}
	return "*" + f.BaseType()
}

// MissingCheck is the condition under which a required field of in is
// missing.
func (f FieldData) MissingCheck(in string) string {
	x := in + "." + f.GoName
	switch f.Kind {
	case Ref:
		return x + " == uuid.Nil"
	case Timestamptz:
		return x + ".IsZero()"
	}
	return x + " == nil"
}

// CreateArg is the Create query's argument for the field.
func (f FieldData) CreateArg() string {
	x := "in." + f.GoName
	switch {
	case f.Kind == Ref && f.Nullable:
		return "nullUUID(" + x + ")"
	case f.InputRequiredPointer():
		return "*" + x
	}
	return x
}

// UpdateArgs are the Update query's arguments for the field.
func (f FieldData) UpdateArgs() string {
	x := "p." + f.GoName
	if f.Nullable {
		v := x + ".Value"
		if f.Kind == Ref {
			v = "nullUUID(" + v + ")"
		}
		return fmt.Sprintf("Set%s: %s.Set,\n\t\t%s: %s", f.GoName, x, f.GoName, v)
	}
	if f.Kind == Ref {
		return f.GoName + ": nullUUID(" + x + ")"
	}
	return f.GoName + ": " + x
}

// ---- OpenAPI ---------------------------------------------------------

// JSONType is the JSON Schema type of a value of the field.
func (f FieldData) JSONType() string {
	return map[Kind]string{
		Text: "string", BigInt: "integer", Int: "integer", Bool: "boolean", Timestamptz: "string", Ref: "string",
	}[f.Kind]
}

// JSONFormat is the JSON Schema format of a value of the field, or "".
func (f FieldData) JSONFormat() string {
	return map[Kind]string{BigInt: "int64", Int: "int32", Timestamptz: "date-time", Ref: "uuid"}[f.Kind]
}

// MaxLen is the longest a text field may be.
func (f FieldData) MaxLen() int { return maxText }

// InputDescription describes the field in a request body, or is "".
func (f FieldData) InputDescription() string {
	var parts []string
	if f.Kind == Ref {
		parts = append(parts, "The id of "+f.Ref.A+" in this tenant")
	}
	if f.Unique {
		parts = append(parts, "unique within the tenant")
	}
	if f.Nullable {
		parts = append(parts, "may be null")
	}
	if f.Kind == Text {
		parts = append(parts, "surrounding spaces are trimmed")
		if f.Nullable {
			parts = append(parts, "empty or blank text is stored as null")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, "; ") + "."
	return strings.ToUpper(s[:1]) + s[1:]
}

// openAPIExample is an example value, as YAML.
func (f FieldData) openAPIExample(example bool) string {
	switch f.Kind {
	case Text:
		if example && f.Name == "name" {
			return "Website relaunch" // the example component's
		}
		return "Example " + f.Human
	case BigInt:
		return "1200"
	case Int:
		return "3"
	case Bool:
		return "true"
	case Timestamptz:
		return "'2030-01-02T03:04:05Z'"
	}
	return "'0b6f0c57-3a3f-4c36-9d2e-6d1f3c3b9a51'"
}

// RequiredNames lists the non-null fields, comma-separated.
func (t *Table) RequiredNames() string {
	var names []string
	for _, f := range t.Fields {
		if !f.Nullable {
			names = append(names, f.Name)
		}
	}
	return strings.Join(names, ", ")
}

// Uniques are the unique fields.
func (t *Table) Uniques() []FieldData {
	var out []FieldData
	for _, f := range t.Fields {
		if f.Unique {
			out = append(out, f)
		}
	}
	return out
}

// ---- Test values -----------------------------------------------------

// value is a Go expression for a valid value of the field's base type in
// tenant tn ("k.A"); seed is the text fields' value. Unique fields get a
// fresh value each time.
func (f FieldData) value(tn, seed string) string {
	switch f.Kind {
	case Text:
		return seed
	case BigInt:
		if f.Unique {
			return "int64(uuid.New().ID())"
		}
		return "int64(1)"
	case Int:
		if f.Unique {
			return "int32(uuid.New().ID() >> 1)"
		}
		return "int32(1)"
	case Bool:
		return "true"
	case Timestamptz:
		if f.Unique {
			return "time.Unix(int64(uuid.New().ID()), 0)"
		}
		return "time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)"
	case Ref:
		return "new" + f.Ref.Type + "(t, k, " + tn + ")"
	}
	panic("unknown kind " + f.Kind)
}

// First is the value a test shares between two rows of a unique field.
func (f FieldData) First() string {
	switch f.Kind {
	case BigInt:
		return "int64(7)"
	case Int:
		return "int32(7)"
	case Timestamptz:
		return "time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)"
	case Ref:
		return "new" + f.Ref.Type + "(t, k, k.A)"
	}
	return `"Apollo"`
}

// Shared is the expression a uniqueness test uses for the field's value:
// text is the literal, other kinds the variable holding First.
func (f FieldData) Shared() string {
	if f.Kind == Text {
		return `"Apollo"`
	}
	return f.Var
}

// Second is a value different from the one the tests create rows with.
func (f FieldData) Second() string {
	switch f.Kind {
	case Text:
		return `"Artemis"`
	case BigInt:
		return "int64(2)"
	case Int:
		return "int32(2)"
	case Bool:
		return "false"
	case Timestamptz:
		return "time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)"
	}
	return "new" + f.Ref.Type + "(t, k, k.A)"
}

// input wraps a value for the Input field's type.
func (f FieldData) input(v string) string {
	if strings.HasPrefix(f.InputType(), "*") {
		return "new(" + v + ")"
	}
	return v
}

// PatchValue is the Patch field set to the variable v.
func (f FieldData) PatchValue(v string) string {
	if f.Nullable {
		return "httpapi.Set(" + v + ")"
	}
	return "&" + v
}

// Differs is the condition that the field of row differs from the value v.
func (f FieldData) Differs(row, v string) string {
	x := row + "." + f.GoName
	switch {
	case f.Nullable && f.Kind == Ref:
		return "!" + x + ".Valid || " + x + ".UUID != " + v
	case f.Nullable && f.Kind == Timestamptz:
		return x + " == nil || !" + x + ".Equal(" + v + ")"
	case f.Nullable:
		return x + " == nil || *" + x + " != " + v
	case f.Kind == Timestamptz:
		return "!" + x + ".Equal(" + v + ")"
	}
	return x + " != " + v
}

// NotEqualField is the condition that the field differs between rows a
// and b.
func (f FieldData) NotEqualField(a, b string) string {
	x, y := a+"."+f.GoName, b+"."+f.GoName
	switch {
	case f.Nullable && f.Kind != Ref:
		return "!cmp.Equal(" + x + ", " + y + ")"
	case f.Kind == Timestamptz:
		return "!" + x + ".Equal(" + y + ")"
	}
	return x + " != " + y
}

// IsSetExpr is the condition that the nullable field of row is not null.
func (f FieldData) IsSetExpr(row string) string {
	if f.Kind == Ref {
		return row + "." + f.GoName + ".Valid"
	}
	return row + "." + f.GoName + " != nil"
}

// Set is an Input option: the field's value is v.
func (f FieldData) Set(v string) string { return f.Name + "=" + v }

// RefVar is the variable holding a row of tenant tn ("A") for the ref.
func (f FieldData) RefVar(tn string) string {
	return lowerCamel(strings.TrimSuffix(f.Name, "_id")) + tn
}

// RefType is the referenced table's Go type.
func (f FieldData) RefType() string { return f.Ref.Type }

// RefPkg is the referenced table's package.
func (f FieldData) RefPkg() string { return f.Ref.Pkg }

// RefHuman is the referenced table's row, in words.
func (f FieldData) RefHuman() string { return f.Ref.Human }

// RefA is RefHuman with its article.
func (f FieldData) RefA() string { return f.Ref.A }

// ---- Table facts -----------------------------------------------------

func (t *Table) any(pred func(FieldData) bool) bool { return slices.ContainsFunc(t.Fields, pred) }

// HasText reports whether a field is text.
func (t *Table) HasText() bool { return t.any(func(f FieldData) bool { return f.Kind == Text }) }

// HasNullableText reports whether a nullable field is text.
func (t *Table) HasNullableText() bool {
	return t.any(func(f FieldData) bool { return f.Kind == Text && f.Nullable })
}

// HasRef reports whether a field is a ref.
func (t *Table) HasRef() bool { return t.any(FieldData.IsRef) }

// HasUnique reports whether a field is unique.
func (t *Table) HasUnique() bool { return t.any(func(f FieldData) bool { return f.Unique }) }

// HasNullable reports whether a field is nullable.
func (t *Table) HasNullable() bool { return t.any(func(f FieldData) bool { return f.Nullable }) }

// HasInputPointers reports whether Input has a pointer field.
func (t *Table) HasInputPointers() bool {
	return t.any(func(f FieldData) bool { return strings.HasPrefix(f.InputType(), "*") })
}

// HasCreateChecks reports whether Create validates a field.
func (t *Table) HasCreateChecks() bool {
	return t.any(func(f FieldData) bool { return f.Kind == Text || !f.Nullable })
}

// NullableFields are the nullable fields.
func (t *Table) NullableFields() []FieldData {
	var out []FieldData
	for _, f := range t.Fields {
		if f.Nullable {
			out = append(out, f)
		}
	}
	return out
}

// RefPackages are the packages of the referenced tables, once each.
func (t *Table) RefPackages() []string {
	var out []string
	for _, f := range t.Fields {
		if f.Ref != nil && !slices.Contains(out, f.Ref.Pkg) {
			out = append(out, f.Ref.Pkg)
		}
	}
	return out
}

// ColumnDefs are the CREATE TABLE column lines, aligned.
func (t *Table) ColumnDefs() []string {
	type col struct{ name, typ, rest string }
	cols := []col{
		{"tenant_id", "uuid", "NOT NULL REFERENCES tenants (id) ON DELETE CASCADE"},
		{"id", "uuid", "NOT NULL DEFAULT gen_random_uuid()"},
	}
	for _, f := range t.Fields {
		var rest []string
		if !f.Nullable {
			rest = append(rest, "NOT NULL")
		}
		if f.Kind == Text {
			rest = append(rest, fmt.Sprintf("CHECK (char_length(%s) BETWEEN 1 AND %d)", f.Name, maxText))
		}
		cols = append(cols, col{f.Name, f.SQLType(), strings.Join(rest, " ")})
	}
	cols = append(cols,
		col{"created_by", "uuid", "NOT NULL REFERENCES users (id)"},
		col{"created_at", "timestamptz", "NOT NULL DEFAULT now()"},
		col{"updated_at", "timestamptz", "NOT NULL DEFAULT now()"},
	)
	nw, tw := 0, 0
	for _, c := range cols {
		nw, tw = max(nw, len(c.name)), max(tw, len(c.typ))
	}
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = strings.TrimRight(fmt.Sprintf("%-*s %-*s %s", nw, c.name, tw, c.typ, c.rest), " ")
	}
	return out
}

// SelectList is the columns the queries return.
func (t *Table) SelectList() string {
	cols := []string{"id"}
	for _, f := range t.Fields {
		cols = append(cols, f.Name)
	}
	return strings.Join(append(cols, "created_by", "created_at", "updated_at"), ", ")
}

// Comparable reports whether rows compare with ==: no pointer fields.
func (t *Table) Comparable() bool {
	return !t.any(func(f FieldData) bool { return strings.HasPrefix(f.GoType(), "*") })
}

// NotEqual is the condition that rows a and b differ.
func (t *Table) NotEqual(a, b string) string {
	if t.Comparable() {
		return a + " != " + b
	}
	return "!cmp.Equal(" + a + ", " + b + ")"
}

// TrimField is the field the lifecycle test checks is trimmed: the first
// non-null text field, or nil.
func (t *Table) TrimField() *FieldData {
	for _, f := range t.Fields {
		if f.Kind == Text && !f.Nullable {
			return &f
		}
	}
	return nil
}

// ChangeField is the field the lifecycle test changes: the first non-null
// text field, else the first non-null field that is not a ref, else the
// first non-null, else the first.
func (t *Table) ChangeField() *FieldData {
	for _, pred := range []func(FieldData) bool{
		func(f FieldData) bool { return f.Kind == Text && !f.Nullable },
		func(f FieldData) bool { return f.Kind != Ref && !f.Nullable },
		func(f FieldData) bool { return !f.Nullable },
		func(FieldData) bool { return true },
	} {
		for _, f := range t.Fields {
			if pred(f) {
				return &f
			}
		}
	}
	return nil
}

// Input is a Go composite literal of a valid Input for tenant tn ("k.A"),
// with seed (a Go string expression) for text fields. Options: "field=v"
// sets the field's base value to the expression v ("field=-" leaves it
// out), and "refs=vars" takes refs from the variables RefVar declares
// instead of inserting a fresh row for each.
func (t *Table) Input(tn, seed string, opts ...string) string {
	set := map[string]string{}
	vars := false
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		if k == "refs" {
			vars = v == "vars"
			continue
		}
		set[k] = v
	}
	var parts []string
	for _, f := range t.Fields {
		v, ok := set[f.Name]
		switch {
		case v == "-":
			continue
		case ok:
		case f.Kind == Ref && vars:
			v = f.RefVar(strings.TrimPrefix(tn, "k."))
		case f.Kind == Text && seed == "":
			v = `"` + f.Human + `"`
		default:
			v = f.value(tn, seed)
		}
		parts = append(parts, f.GoName+": "+f.input(v))
	}
	return t.Pkg + ".Input{" + strings.Join(parts, ", ") + "}"
}

// TakeOverSet is the SET clause of tenant B's attempt to change A's row.
func (t *Table) TakeOverSet() string {
	for _, f := range t.Fields {
		if f.Kind == Text {
			return f.Name + " = 'taken over'"
		}
	}
	return "updated_at = now()"
}

// PlantSQL is tenant B's INSERT of a row into tenant A ($1) created by
// B's member ($2).
func (t *Table) PlantSQL() string {
	cols, vals := []string{"tenant_id"}, []string{"$1"}
	for _, f := range t.Fields {
		if f.Nullable {
			continue
		}
		cols = append(cols, f.Name)
		vals = append(vals, map[Kind]string{
			Text: "'planted'", BigInt: "0", Int: "0", Bool: "true", Timestamptz: "now()", Ref: "gen_random_uuid()",
		}[f.Kind])
	}
	cols, vals = append(cols, "created_by"), append(vals, "$2")
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", t.Name, strings.Join(cols, ", "), strings.Join(vals, ", "))
}

// RefArg is a referenced row a fixture inserts first.
type RefArg struct{ Var, RefType string }

// RefArgs are the rows the table's fixture needs first, for its required
// ref fields.
func (t *Table) RefArgs() []RefArg {
	var out []RefArg
	for _, f := range t.Fields {
		if f.Kind == Ref && !f.Nullable {
			out = append(out, RefArg{f.Var, f.Ref.Type})
		}
	}
	return out
}

// InsertSQL is the fixture's raw INSERT of a row with its required fields
// ($1 tenant, then the fields, then created_by).
func (t *Table) InsertSQL() string {
	cols, vals := []string{"tenant_id"}, []string{"$1"}
	n := 1
	for _, f := range t.Fields {
		if f.Nullable {
			continue
		}
		n++
		cols, vals = append(cols, f.Name), append(vals, fmt.Sprintf("$%d", n))
	}
	cols, vals = append(cols, "created_by"), append(vals, fmt.Sprintf("$%d", n+1))
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING id", t.Name, strings.Join(cols, ", "), strings.Join(vals, ", "))
}

// InsertArgs are the fixture INSERT's arguments.
func (t *Table) InsertArgs() string {
	args := []string{"tn.ID"}
	for _, f := range t.Fields {
		if f.Nullable {
			continue
		}
		switch f.Kind {
		case Text:
			args = append(args, `"`+f.Human+` "+uuid.NewString()`)
		case BigInt:
			args = append(args, "int64(uuid.New().ID())")
		case Int:
			args = append(args, "int32(uuid.New().ID() >> 1)")
		case Bool:
			args = append(args, "true")
		case Timestamptz:
			args = append(args, "time.Unix(int64(uuid.New().ID()), 0)")
		case Ref:
			args = append(args, f.Var)
		}
	}
	return strings.Join(append(args, "tn.UserID"), ", ")
}

// InvalidCase is one case of the invalid-input test.
type InvalidCase struct {
	Name, Field, Body string
	Multiline         bool
}

// InvalidCases are the invalid-input test's cases: for each text field
// empty and too long, a NUL byte, each required field left out, and an
// empty text in a patch.
func (t *Table) InvalidCases() []InvalidCase {
	var out []InvalidCase
	create := func(f FieldData, v string) string {
		return "_, err := s.Create(ctx, " + t.Input("k.A", `"Apollo"`, "refs=vars", f.Set(v)) + ")"
	}
	var firstText *FieldData
	for _, f := range t.Fields {
		if f.Kind != Text {
			continue
		}
		if firstText == nil {
			firstText = &f
		}
		if !f.Nullable {
			out = append(out, InvalidCase{Name: "empty " + f.Name, Field: f.Name, Body: create(f, `" "`)})
		}
		out = append(out, InvalidCase{
			Name: f.Name + " too long", Field: f.Name, Multiline: true,
			Body: create(f, fmt.Sprintf(`strings.Repeat("é", %d)`, maxText+1)),
		})
	}
	if firstText != nil {
		out = append(out, InvalidCase{Name: "NUL byte", Field: firstText.Name, Body: create(*firstText, `"a\x00b"`)})
	}
	for _, f := range t.Fields {
		if f.Kind != Text && !f.Nullable {
			out = append(out, InvalidCase{Name: "no " + f.Name, Field: f.Name, Body: create(f, "-")})
		}
	}
	if u := t.UpdateCase(); u != nil {
		name := "empty " + u.Name + " in a patch"
		if u.Name == "name" {
			name = "empty rename"
		}
		out = append(out, InvalidCase{
			Name: name, Field: u.Name, Multiline: true,
			Body: "empty := \"\"\n\t\t\t_, err := s.Update(ctx, " + t.Var + ".ID, " + t.Pkg + ".Patch{" + u.GoName + ": &empty})",
		})
	}
	return out
}

// UpdateCase is the field the invalid-input test empties in a patch: the
// first non-null text field, or nil.
func (t *Table) UpdateCase() *FieldData { return t.TrimField() }

// InvalidField is the field every invalid-input case is about, or "" when
// they are about several.
func (t *Table) InvalidField() string {
	cases := t.InvalidCases()
	for _, c := range cases {
		if c.Field != cases[0].Field {
			return ""
		}
	}
	if len(cases) == 0 {
		return ""
	}
	return cases[0].Field
}

// InvalidRefVars are the ref fields whose variables the invalid-input test
// uses.
func (t *Table) InvalidRefVars() []FieldData {
	var text strings.Builder
	for _, c := range t.InvalidCases() {
		text.WriteString(c.Body + "\n")
	}
	if t.UpdateCase() != nil {
		text.WriteString(t.Input("k.A", `"Apollo"`, "refs=vars"))
	}
	var out []FieldData
	for _, f := range t.Fields {
		if f.Kind == Ref && containsIdent(text.String(), f.RefVar("A")) {
			out = append(out, f)
		}
	}
	return out
}

// containsIdent reports whether id occurs in src as a whole identifier.
func containsIdent(src, id string) bool {
	for i := 0; ; {
		j := strings.Index(src[i:], id)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(id)
		before := j == 0 || !isIdentByte(src[j-1])
		after := end == len(src) || !isIdentByte(src[end])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// ---- HTTP test values ------------------------------------------------

// jsonValue is a Go expression for a valid JSON value of the field in a
// request body.
func (f FieldData) jsonValue() string {
	switch f.Kind {
	case Text:
		return `"Apollo"`
	case BigInt:
		return "1200"
	case Int:
		return "3"
	case Bool:
		return "true"
	case Timestamptz:
		return `"2030-01-02T03:04:05Z"`
	}
	return f.Ref.LowerType + "ID"
}

// JSONSecond is another JSON value of the field, as encoding/json decodes
// it (numbers are float64).
func (f FieldData) JSONSecond() string {
	switch f.Kind {
	case Text:
		return `"Artemis"`
	case BigInt, Int:
		return "float64(2)"
	case Bool:
		return "false"
	}
	panic("no JSONSecond for " + f.Kind)
}

// JSONBody is a Go map literal of a valid create request body; refs name
// the variables <type>ID the HTTP test declares. Nullable fields are left
// out unless withNullable.
func (t *Table) JSONBody(withNullable bool) string { return t.jsonBody(withNullable, "", "") }

func (t *Table) jsonBody(withNullable bool, field, value string) string {
	var parts []string
	for _, f := range t.Fields {
		v := f.jsonValue()
		switch {
		case f.Name == field && value == "-":
			continue
		case f.Name == field:
			v = value
		case f.Nullable && !withNullable:
			continue
		}
		parts = append(parts, fmt.Sprintf("%q: %s", f.Name, v))
	}
	return "map[string]any{" + strings.Join(parts, ", ") + "}"
}

// HTTPChange is the field the HTTP test patches and checks: the first
// non-null text, int, bigint or bool field, or nil.
func (t *Table) HTTPChange() *FieldData {
	for _, kinds := range [][]Kind{{Text}, {BigInt, Int, Bool}} {
		for _, f := range t.Fields {
			if !f.Nullable && slices.Contains(kinds, f.Kind) {
				return &f
			}
		}
	}
	return nil
}

// HTTPBadBody is a create request body that fails validation.
type HTTPBadBody struct{ Body, What string }

// HTTPInvalid is a body with an empty text field, or without a required
// field, or nil when every body is valid.
func (t *Table) HTTPInvalid() *HTTPBadBody {
	if f := t.TrimField(); f != nil {
		return &HTTPBadBody{t.jsonBody(true, f.Name, `""`), "an empty " + f.Name}
	}
	for _, f := range t.Fields {
		if !f.Nullable {
			return &HTTPBadBody{t.jsonBody(true, f.Name, "-"), "no " + f.Name}
		}
	}
	return nil
}
