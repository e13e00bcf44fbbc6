package main

import (
	"fmt"
	"slices"
	"strings"
)

// What the test templates render: Go and SQL expressions for valid and
// invalid values of a table's fields, fixtures for its refs, and request
// bodies for its HTTP tests.

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
