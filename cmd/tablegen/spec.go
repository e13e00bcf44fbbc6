package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Kind is a field type of the FIELDS syntax.
type Kind string

// The field types.
const (
	Text        Kind = "text"
	BigInt      Kind = "bigint"
	Int         Kind = "int"
	Bool        Kind = "bool"
	Timestamptz Kind = "timestamptz"
	Ref         Kind = "ref"
)

const typeList = "text, bigint, int, bool, timestamptz or ref(<table>)"

// maxText is the longest a text field may be, in characters, as for
// projects' names.
const maxText = 200

// Field is one column of the table.
type Field struct {
	Name     string // snake_case column and JSON name
	Kind     Kind
	RefTable string // for Ref: the referenced table
	Unique   bool   // `!`: UNIQUE (tenant_id, name)
	Nullable bool   // `?`: NULL allowed; optional on create, PATCH may set null
}

// Spec is a parsed `make table` command.
type Spec struct {
	Name     string // plural snake_case table name
	Singular string // singular snake_case
	// SingularSet is true when SINGULAR= was given and differs from the
	// derived singular; the command line then records it.
	SingularSet bool
	Fields      []Field
}

var (
	identRE   = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	refTypeRE = regexp.MustCompile(`^ref\(([^()]*)\)$`)
)

// reservedTables are tables of the platform and identity, and goose's.
var reservedTables = []string{
	"tenants", "users", "memberships", "sessions", "password_credentials", "goose_db_version",
}

// reservedFields are the columns every tenant table has, and the names the
// generated queries use for their own parameters.
var reservedFields = []string{
	"id", "tenant_id", "created_by", "created_at", "updated_at",
	"after_created_at", "after_id", "max_rows",
}

// reservedPackages are names a component's package may not take: the
// packages under internal/ that are not components and the packages the
// generated code imports by their default name.
var reservedPackages = []string{
	"app", "apptest", "auth", "database", "db", "dbtest", "http", "httpapi", "identity",
	"problem", "session", "tenancy", "tenancytest", "validation",
	"cmp", "context", "errors", "fmt", "json", "main", "net", "os", "pgconn", "pgx",
	"strings", "testing", "time", "uuid",
}

// goKeywords cannot be package names.
var goKeywords = []string{
	"break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
	"for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
	"return", "select", "struct", "switch", "type", "var",
}

// sqlReserved are PostgreSQL's reserved key words, including those that may
// be a function or type name but not a column: the generated SQL does not
// quote identifiers, so none of them may be a table or field name.
var sqlReserved = []string{
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both",
	"case", "cast", "check", "collate", "column", "constraint", "create", "current_catalog",
	"current_date", "current_role", "current_time", "current_timestamp", "current_user",
	"default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false",
	"fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially",
	"intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
	"null", "offset", "on", "only", "or", "order", "placing", "primary", "references",
	"returning", "select", "session_user", "some", "symmetric", "system_user", "table", "then",
	"to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where",
	"window", "with",
	"authorization", "binary", "collation", "concurrently", "cross", "current_schema",
	"freeze", "full", "ilike", "inner", "is", "isnull", "join", "left", "like", "natural",
	"notnull", "outer", "overlaps", "right", "similar", "tablesample", "verbose",
}

// maxIdent is PostgreSQL's identifier limit (NAMEDATALEN-1); a longer
// generated constraint name would be truncated, and mapErr would no longer
// recognise it.
const maxIdent = 63

// ParseSpec parses NAME, FIELDS and SINGULAR. It checks the syntax and the
// names only; Plan checks them against the repository.
func ParseSpec(name, fields, singular string) (Spec, error) {
	s := Spec{Name: strings.TrimSpace(name)}
	if err := checkTableName(s.Name); err != nil {
		return Spec{}, err
	}
	derived, derr := Singularize(s.Name)
	singular = strings.TrimSpace(singular)
	switch {
	case singular != "":
		if !identRE.MatchString(singular) {
			return Spec{}, fmt.Errorf("SINGULAR=%s: want snake_case: a lowercase letter, then lowercase letters, digits and single underscores", singular)
		}
		if singular == s.Name {
			return Spec{}, fmt.Errorf("SINGULAR=%s is the same as NAME; NAME is the plural (SINGULAR names one row)", singular)
		}
		s.Singular = singular
		s.SingularSet = derr != nil || singular != derived
	case derr != nil:
		return Spec{}, derr
	default:
		s.Singular = derived
	}
	if c := camel(s.Singular); slices.Contains([]string{"Service", "Input", "Patch"}, c) {
		return Spec{}, fmt.Errorf("NAME=%s: its singular %s would be the Go type %s, which the component already declares; pick another name or SINGULAR=", s.Name, s.Singular, c)
	}
	if camel(s.Singular) == camel(s.Name) {
		return Spec{}, fmt.Errorf("NAME=%s: the singular %s gives the same Go name as the plural; pass another SINGULAR=", s.Name, s.Singular)
	}

	words := strings.Fields(fields)
	if len(words) == 0 {
		return Spec{}, fmt.Errorf(`FIELDS is empty; give at least one field, e.g. FIELDS="name:text!"`)
	}
	seen := map[string]string{} // Go name → field
	for i, w := range words {
		f, err := parseField(w)
		if err != nil {
			return Spec{}, fmt.Errorf("FIELDS: field %d %q: %w", i+1, w, err)
		}
		if f.Kind == Ref && f.RefTable == s.Name {
			return Spec{}, fmt.Errorf("FIELDS: field %d %q: a table cannot refer to itself (ref(%s)); the generated tests and error mapping assume the referenced table is another one", i+1, w, s.Name)
		}
		if other, ok := seen[camel(f.Name)]; ok {
			if other == f.Name {
				return Spec{}, fmt.Errorf("FIELDS: field %d %q: %s is named twice", i+1, w, f.Name)
			}
			return Spec{}, fmt.Errorf("FIELDS: field %d %q: %s and %s would both be the Go field %s; rename one", i+1, w, other, f.Name, camel(f.Name))
		}
		seen[camel(f.Name)] = f.Name
		s.Fields = append(s.Fields, f)
	}
	for _, f := range s.Fields {
		if rest, ok := strings.CutPrefix(f.Name, "set_"); ok {
			for _, g := range s.Fields {
				if g.Name == rest && g.Nullable {
					return Spec{}, fmt.Errorf("FIELDS: field %s: the update query names its flag for the nullable field %s set_%s; rename one of them", f.Name, rest, rest)
				}
			}
		}
	}
	for _, id := range s.identifiers() {
		if len(id) > maxIdent {
			return Spec{}, fmt.Errorf("NAME=%s with these fields makes the Postgres name %s, longer than %d bytes (Postgres would truncate it); use a shorter NAME or field name", s.Name, id, maxIdent)
		}
	}
	return s, nil
}

func checkTableName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf(`NAME is empty; give the table's plural snake_case name, e.g. NAME=invoices`)
	case !identRE.MatchString(name):
		return fmt.Errorf("NAME=%s: want plural snake_case: a lowercase letter, then lowercase letters, digits and single underscores (e.g. line_items)", name)
	case slices.Contains(reservedTables, name):
		return fmt.Errorf("NAME=%s: %s is a table of the platform; pick another name", name, name)
	case slices.Contains(sqlReserved, name):
		return fmt.Errorf("NAME=%s: %s is a reserved word in SQL; pick another name", name, name)
	}
	pkg := strings.ReplaceAll(name, "_", "")
	switch {
	case slices.Contains(goKeywords, pkg):
		return fmt.Errorf("NAME=%s: its Go package %s would be a Go keyword; pick another name", name, pkg)
	case slices.Contains(reservedPackages, pkg):
		return fmt.Errorf("NAME=%s: its Go package %s clashes with a package tenantkit has or imports; pick another name", name, pkg)
	}
	return nil
}

// parseField parses one `name:type[!|?]`.
func parseField(w string) (Field, error) {
	name, typ, ok := strings.Cut(w, ":")
	if !ok {
		return Field{}, fmt.Errorf("want name:type, e.g. amount_cents:bigint (types: %s)", typeList)
	}
	f := Field{Name: name}
	switch {
	case name == "":
		return Field{}, fmt.Errorf("the field has no name before the colon")
	case !identRE.MatchString(name):
		return Field{}, fmt.Errorf("field name %s: want snake_case: a lowercase letter, then lowercase letters, digits and single underscores", name)
	case slices.Contains(reservedFields, name):
		return Field{}, fmt.Errorf("field name %s is reserved: every tenant table has id, tenant_id, created_by, created_at and updated_at, and the queries use after_created_at, after_id and max_rows", name)
	case slices.Contains(sqlReserved, name):
		return Field{}, fmt.Errorf("field name %s is a reserved word in SQL; pick another name", name)
	}
	switch {
	case strings.HasSuffix(typ, "!") && strings.HasSuffix(strings.TrimSuffix(typ, "!"), "?"),
		strings.HasSuffix(typ, "?") && strings.HasSuffix(strings.TrimSuffix(typ, "?"), "!"):
		return Field{}, fmt.Errorf("a field is either unique (!) or nullable (?), not both")
	case strings.HasSuffix(typ, "!"):
		f.Unique, typ = true, strings.TrimSuffix(typ, "!")
	case strings.HasSuffix(typ, "?"):
		f.Nullable, typ = true, strings.TrimSuffix(typ, "?")
	}
	if m := refTypeRE.FindStringSubmatch(typ); m != nil {
		f.Kind, f.RefTable = Ref, m[1]
		switch {
		case !identRE.MatchString(f.RefTable):
			return Field{}, fmt.Errorf("ref(%s): want the referenced table's snake_case name, e.g. ref(projects)", f.RefTable)
		case !strings.HasSuffix(name, "_id"):
			return Field{}, fmt.Errorf("a ref field's name must end in _id, e.g. %s_id:ref(%s)", strings.TrimSuffix(name, "_id"), f.RefTable)
		case slices.Contains(reservedTables, f.RefTable):
			return Field{}, fmt.Errorf("ref(%s): only tenant tables made by `make table` can be referenced", f.RefTable)
		}
		return f, nil
	}
	switch k := Kind(typ); k {
	case Text, BigInt, Int, Bool, Timestamptz:
		f.Kind = k
	case "":
		return Field{}, fmt.Errorf("no type after the colon; types are %s", typeList)
	default:
		if strings.HasPrefix(typ, "ref") {
			return Field{}, fmt.Errorf("type %s: write ref(<table>), e.g. ref(projects)", typ)
		}
		return Field{}, fmt.Errorf("unknown type %s; types are %s, with ! for unique or ? for nullable", typ, typeList)
	}
	if f.Kind == Bool && f.Unique {
		return Field{}, fmt.Errorf("a bool cannot be unique per tenant (a tenant would have at most two rows)")
	}
	return f, nil
}

// Singularize derives the singular of a plural snake_case table name from
// its last word: categories → category, addresses → address, line_items →
// line_item. It fails when it cannot tell, and SINGULAR= is needed.
func Singularize(name string) (string, error) {
	head, last := "", name
	if i := strings.LastIndex(name, "_"); i >= 0 {
		head, last = name[:i+1], name[i+1:]
	}
	var one string
	switch {
	case strings.HasSuffix(last, "ies") && len(last) > 4:
		one = strings.TrimSuffix(last, "ies") + "y"
	case strings.HasSuffix(last, "sses"), strings.HasSuffix(last, "shes"), strings.HasSuffix(last, "ches"),
		strings.HasSuffix(last, "xes"), strings.HasSuffix(last, "zzes"), strings.HasSuffix(last, "uses"):
		one = strings.TrimSuffix(last, "es")
	case strings.HasSuffix(last, "ss"), strings.HasSuffix(last, "us"), strings.HasSuffix(last, "is"):
		one = ""
	case strings.HasSuffix(last, "s") && len(last) > 1:
		one = strings.TrimSuffix(last, "s")
	}
	if one == "" {
		return "", fmt.Errorf("NAME=%s: cannot tell its singular (NAME is the plural, e.g. invoices); pass SINGULAR=<the name of one row> too", name)
	}
	return head + one, nil
}

// identifiers are the Postgres names the migration creates or relies on.
func (s Spec) identifiers() []string {
	ids := []string{
		s.Name, s.Name + "_pkey", s.Name + "_tenant", s.Name + "_tenant_id_fkey", s.Name + "_created_by_fkey",
		s.Name + "_tenant_id_created_at_idx",
	}
	for _, f := range s.Fields {
		ids = append(ids, f.Name)
		if f.Kind == Text {
			ids = append(ids, f.CheckName(s.Name))
		}
		if f.Unique {
			ids = append(ids, f.UniqueName(s.Name))
		}
		if f.Kind == Ref {
			ids = append(ids, f.FKeyName(s.Name), f.IndexName(s.Name))
		}
	}
	return ids
}

// Postgres's default names for the field's constraints (see
// ChooseConstraintName): mapErr recognises the constraints by them.

// CheckName is the name of the text length CHECK.
func (f Field) CheckName(table string) string { return table + "_" + f.Name + "_check" }

// UniqueName is the name of UNIQUE (tenant_id, name).
func (f Field) UniqueName(table string) string { return table + "_tenant_id_" + f.Name + "_key" }

// FKeyName is the name of the composite foreign key of a ref.
func (f Field) FKeyName(table string) string { return table + "_tenant_id_" + f.Name + "_fkey" }

// IndexName is the name of the index on (tenant_id, name) of a ref.
func (f Field) IndexName(table string) string { return table + "_tenant_id_" + f.Name + "_idx" }

// camel turns snake_case into an exported Go name as sqlc does: each word
// capitalised, "id" as "ID".
func camel(s string) string {
	var b strings.Builder
	for p := range strings.SplitSeq(s, "_") {
		if p == "id" {
			b.WriteString("ID")
			continue
		}
		if p != "" {
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String()
}

// lowerCamel is camel with the first word in lower case: project_id →
// projectID, id → id.
func lowerCamel(s string) string {
	first, rest, _ := strings.Cut(s, "_")
	if rest == "" {
		return first
	}
	return first + camel(rest)
}

// words turns snake_case into words: line_item → line item.
func words(s string) string { return strings.ReplaceAll(s, "_", " ") }

// article is "a" or "an" for the word w.
func article(w string) string {
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "an"
	}
	return "a"
}

// Command is the `make table` command line that writes the table; the
// migration's header records it.
func (s Spec) Command() string {
	fs := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		fs[i] = f.String()
	}
	cmd := fmt.Sprintf(`make table NAME=%s FIELDS="%s"`, s.Name, strings.Join(fs, " "))
	if s.SingularSet {
		cmd += " SINGULAR=" + s.Singular
	}
	return cmd
}

// String is the field in the FIELDS syntax.
func (f Field) String() string {
	t := string(f.Kind)
	if f.Kind == Ref {
		t = "ref(" + f.RefTable + ")"
	}
	switch {
	case f.Unique:
		t += "!"
	case f.Nullable:
		t += "?"
	}
	return f.Name + ":" + t
}

// commandRE matches the header line of a migration written by make table.
var commandRE = regexp.MustCompile(`(?m)^--\s+make table NAME=(\S+) FIELDS="([^"]*)"(?: SINGULAR=(\S+))?\s*$`)

// ParseHeader finds the `make table` command in a migration's text.
func ParseHeader(migration string) (Spec, bool, error) {
	m := commandRE.FindStringSubmatch(migration)
	if m == nil {
		return Spec{}, false, nil
	}
	s, err := ParseSpec(m[1], m[2], m[3])
	return s, true, err
}
