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
func (t *Table) Uniques() []FieldData { return t.where(func(f FieldData) bool { return f.Unique }) }

// where returns the fields pred holds for, in order.
func (t *Table) where(pred func(FieldData) bool) []FieldData {
	var out []FieldData
	for _, f := range t.Fields {
		if pred(f) {
			out = append(out, f)
		}
	}
	return out
}

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
	return t.where(func(f FieldData) bool { return f.Nullable })
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
