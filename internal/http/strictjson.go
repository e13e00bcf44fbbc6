package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
)

// errStrictJSON explains what checkStrictJSON refused.
type errStrictJSON struct{ msg string }

func (e errStrictJSON) Error() string { return e.msg }

// checkStrictJSON refuses what encoding/json accepts silently:
//   - a duplicate member name (the last one would win),
//   - a top-level member name that matches a field of v only when letter
//     case is ignored ({"Name": …} for "name"),
//   - an escaped lone surrogate (\ud800), which would become U+FFFD.
//
// body is already known to be valid UTF-8 and at most maxBodyBytes long.
func checkStrictJSON(body []byte, v any) error {
	fields := jsonFieldNames(v)
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object    bool
		expectKey bool
		keys      map[string]bool
	}
	var stack []*frame
	replacements := 0 // U+FFFD in decoded strings
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil //nolint:nilerr // syntax errors are the real decoder's to report
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok {
			replacements += strings.Count(s, "\uFFFD")
			if top != nil && top.object && top.expectKey {
				if top.keys[s] {
					return errStrictJSON{"The request body repeats a field."}
				}
				top.keys[s] = true
				if len(stack) == 1 && fields != nil && !fields[s] {
					return errStrictJSON{"The request body has an unknown field (field names are case-sensitive)."}
				}
				top.expectKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, expectKey: true, keys: map[string]bool{}})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			} else {
				top = nil
			}
		}
		// A value (scalar or closed container) completed: the enclosing
		// object expects a key next.
		if top != nil && top.object {
			top.expectKey = true
		}
	}
	// Every U+FFFD the decoder produced must be in the body, literally or as
	// \ufffd; any other came from an invalid escape.
	literal := bytes.Count(body, []byte("\uFFFD")) + countFold(body, `\ufffd`)
	if replacements > literal {
		return errStrictJSON{"The request body has an invalid \\u escape (a lone surrogate)."}
	}
	return nil
}

// jsonFieldNames returns the JSON names of the fields of the struct v points
// to, or nil when v is not a pointer to a struct.
func jsonFieldNames(v any) map[string]bool {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	t = t.Elem()
	names := make(map[string]bool, t.NumField())
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names[name] = true
	}
	return names
}

// countFold counts the ASCII-case-insensitive occurrences of sub (lower
// case) in b.
func countFold(b []byte, sub string) int {
	return bytes.Count(bytes.ToLower(b), []byte(sub))
}
