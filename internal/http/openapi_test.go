package httpapi

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// These tests check that openapi.yaml (served at /api/openapi.yaml) holds
// together: unique operationIds, a success and (where a session is needed) a
// 401 response on every operation, and no $ref that points nowhere. That it
// describes every route of the wired app, the components' included, is
// tested in internal/app (TestOpenAPIDescribesEveryRoute).

// openAPIDoc is the part of an OpenAPI 3.1 document these tests read.
type openAPIDoc struct {
	OpenAPI    string                     `yaml:"openapi"`
	Security   []map[string][]string      `yaml:"security"`
	Paths      map[string]openAPIPathItem `yaml:"paths"`
	Components struct {
		PathItems map[string]openAPIPathItem `yaml:"pathItems"`
	} `yaml:"components"`
}

type openAPIPathItem struct {
	Ref     string            `yaml:"$ref"`
	Get     *openAPIOperation `yaml:"get"`
	Put     *openAPIOperation `yaml:"put"`
	Post    *openAPIOperation `yaml:"post"`
	Delete  *openAPIOperation `yaml:"delete"`
	Options *openAPIOperation `yaml:"options"`
	Head    *openAPIOperation `yaml:"head"`
	Patch   *openAPIOperation `yaml:"patch"`
	Trace   *openAPIOperation `yaml:"trace"`
}

type openAPIOperation struct {
	OperationID string `yaml:"operationId"`
	// Security is nil when the operation inherits the document's; an
	// operation open to anonymous callers says `security: []`.
	Security  *[]map[string][]string `yaml:"security"`
	Responses map[string]any         `yaml:"responses"`
}

// specOperation is one operation of the document with where it lives.
type specOperation struct {
	method, path string
	*openAPIOperation
}

func (o specOperation) String() string { return o.method + " " + o.path }

// loadOpenAPI parses the embedded document and lists its operations by path
// and method, following path items that are a $ref to components/pathItems.
func loadOpenAPI(t *testing.T) (openAPIDoc, []specOperation) {
	t.Helper()
	var doc openAPIDoc
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi.yaml: openapi is %q, want 3.1.x", doc.OpenAPI)
	}
	var ops []specOperation
	for path, item := range doc.Paths {
		if ref := item.Ref; ref != "" {
			name, ok := strings.CutPrefix(ref, "#/components/pathItems/")
			if !ok {
				t.Fatalf("openapi.yaml: path %s: $ref %q is not to #/components/pathItems/", path, ref)
			}
			if item.operations() != nil {
				t.Fatalf("openapi.yaml: path %s has both a $ref and operations (undefined in OpenAPI 3.1)", path)
			}
			if item, ok = doc.Components.PathItems[unescapePointerToken(name)]; !ok {
				t.Fatalf("openapi.yaml: path %s: $ref %q: no such path item", path, ref)
			}
		}
		for method, op := range item.operations() {
			ops = append(ops, specOperation{method: method, path: path, openAPIOperation: op})
		}
	}
	slices.SortFunc(ops, func(a, b specOperation) int { return strings.Compare(a.String(), b.String()) })
	return doc, ops
}

// operations returns the item's operations by HTTP method, or nil for none.
func (p openAPIPathItem) operations() map[string]*openAPIOperation {
	var ops map[string]*openAPIOperation
	for method, op := range map[string]*openAPIOperation{
		http.MethodGet: p.Get, http.MethodPut: p.Put, http.MethodPost: p.Post, http.MethodDelete: p.Delete,
		http.MethodOptions: p.Options, http.MethodHead: p.Head, http.MethodPatch: p.Patch, http.MethodTrace: p.Trace,
	} {
		if op != nil {
			if ops == nil {
				ops = map[string]*openAPIOperation{}
			}
			ops[method] = op
		}
	}
	return ops
}

func TestOpenAPIOperations(t *testing.T) {
	doc, ops := loadOpenAPI(t)
	if len(ops) == 0 {
		t.Fatal("openapi.yaml has no operations")
	}
	byID := map[string]specOperation{}
	for _, op := range ops {
		switch first, dup := byID[op.OperationID]; {
		case op.OperationID == "":
			t.Errorf("%s: no operationId", op)
		case dup:
			t.Errorf("%s: operationId %q is also %s's", op, op.OperationID, first)
		default:
			byID[op.OperationID] = op
		}
		codes := slices.Sorted(maps.Keys(op.Responses))
		if !slices.ContainsFunc(codes, func(code string) bool { return strings.HasPrefix(code, "2") }) {
			t.Errorf("%s: no 2xx response; has %v", op, codes)
		}
		if needsSession(doc, op) && !slices.Contains(codes, "401") {
			t.Errorf("%s needs a session but declares no 401 response; has %v", op, codes)
		}
	}
}

// needsSession reports whether op can only be called authenticated: it has
// security requirements (its own or the document's) and none is empty, as
// an empty one makes authentication optional.
func needsSession(doc openAPIDoc, op specOperation) bool {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	return len(reqs) > 0 && !slices.ContainsFunc(reqs, func(r map[string][]string) bool { return len(r) == 0 })
}

// TestOpenAPIRefsResolve checks that every $ref is local ("#/...", so the
// served file stands alone) and names a node that exists.
func TestOpenAPIRefsResolve(t *testing.T) {
	var root yaml.Node
	if err := yaml.Unmarshal(openAPI, &root); err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	refs := 0
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				key, val := n.Content[i], n.Content[i+1]
				if key.Value != "$ref" || val.Kind != yaml.ScalarNode {
					continue
				}
				refs++
				if err := resolveRef(&root, val.Value); err != nil {
					t.Errorf("openapi.yaml:%d: $ref %q: %v", val.Line, val.Value, err)
				}
			}
		}
		// Aliases are not followed: their anchor is walked where it stands.
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	if refs == 0 {
		t.Error("openapi.yaml has no $ref at all; is the walk broken?")
	}
}

// resolveRef finds the node a local reference names: a URI fragment holding
// an RFC 6901 JSON Pointer.
func resolveRef(root *yaml.Node, ref string) error {
	fragment, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return fmt.Errorf("not a reference within this document (want #/...)")
	}
	pointer, err := url.PathUnescape(fragment)
	if err != nil {
		return fmt.Errorf("bad URI fragment: %w", err)
	}
	n := root
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	if pointer == "" {
		return nil
	}
	tokens, ok := strings.CutPrefix(pointer, "/")
	if !ok {
		return fmt.Errorf("JSON pointer %q does not start with /", pointer)
	}
	at := "#"
	for raw := range strings.SplitSeq(tokens, "/") {
		tok := unescapePointerToken(raw)
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		next := childNode(n, tok)
		if next == nil {
			return fmt.Errorf("%s has no %q", at, tok)
		}
		n, at = next, at+"/"+raw
	}
	return nil
}

// childNode returns the value under key tok of a mapping, or the element at
// index tok of a sequence, or nil.
func childNode(n *yaml.Node, tok string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == tok {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(tok); err == nil && strconv.Itoa(i) == tok && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// unescapePointerToken undoes RFC 6901's escapes (~1 is "/", ~0 is "~"),
// in that order.
func unescapePointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}
