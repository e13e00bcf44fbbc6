package apptest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	valerrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/router"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	httpapi "github.com/tenantkit/tenantkit/internal/http"
)

// checkSpec fails t when the request or the response does not match openapi.yaml.
func checkSpec(t testing.TB, req *http.Request, reqBody []byte, res *http.Response, resBody []byte) {
	t.Helper()
	if err := specError(req, reqBody, res, resBody); err != nil {
		t.Errorf("%s %s answered %d: not as openapi.yaml says:\n%v\nresponse body: %s", req.Method, req.URL.RequestURI(), res.StatusCode, err, resBody)
	}
}

// specError says how an exchange departs from openapi.yaml, or returns nil.
// The bodies are passed apart because the client has read both.
//
// The response is always checked: its status must be one the operation
// declares (no `default`), with the declared content type, headers and
// body schema. The request is checked (path, query, headers, cookie, body)
// only when the answer is a success: a 4xx to an invalid request is what
// the spec says happens, and tests send invalid requests on purpose.
//
// A request that names no operation must get the router's answer: 404
// RouteNotFound or 405 MethodNotAllowed. So may a request under a prefix
// with server variables (/api/t/{tenant}), which the server mounts only
// when its configuration says so.
func specError(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) error {
	s, err := loadSpec()
	if err != nil {
		return err
	}
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	req.ContentLength = int64(len(reqBody))
	resCopy := *res
	resCopy.Body = io.NopCloser(bytes.NewReader(resBody))
	resCopy.Request = req
	res = &resCopy

	route, routeErr := s.router.FindRoute(req)
	if routeErr != nil || route == nil || route.Operation == nil {
		if routerErr := s.routerAnswer(res, resBody); routerErr != nil {
			return fmt.Errorf("no operation in openapi.yaml (%w), and %w", routeErr, routerErr)
		}
		return nil
	}
	if _, errs := s.validator.ValidateHttpResponse(req, res); len(errs) > 0 {
		if len(route.ServerParams) > 0 && s.routerAnswer(res, resBody) == nil {
			return nil // the prefix is not mounted
		}
		return fmt.Errorf("operation %s: response: %w", route.Operation.OperationId, joinValidationErrors(errs))
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil
	}
	if _, errs := s.validator.ValidateHttpRequestSync(req); len(errs) > 0 {
		return fmt.Errorf("operation %s: the request got %d but does not match: %w", route.Operation.OperationId, res.StatusCode, joinValidationErrors(errs))
	}
	// Server variables have no schema in OpenAPI; the ones with a schema
	// under components/schemas are checked against it.
	for name, value := range route.ServerParams {
		schemaName, ok := serverVariableSchemas[name]
		if !ok {
			continue
		}
		raw, _ := json.Marshal(value)
		if err := s.validateSchema(schemaName, raw); err != nil {
			return fmt.Errorf("operation %s: the request got %d but its server variable %s=%q is not a %s: %w", route.Operation.OperationId, res.StatusCode, name, value, schemaName, err)
		}
	}
	return nil
}

// serverVariableSchemas names the schema (in components/schemas) of each
// server variable of openapi.yaml.
var serverVariableSchemas = map[string]string{"tenant": "TenantRef"}

// routerAnswer checks res is the router's answer to a request that names
// no operation: 404 RouteNotFound or 405 MethodNotAllowed.
func (s *spec) routerAnswer(res *http.Response, body []byte) error {
	var name string
	switch res.StatusCode {
	case http.StatusNotFound:
		name = "RouteNotFound"
	case http.StatusMethodNotAllowed:
		name = "MethodNotAllowed"
	default:
		return fmt.Errorf("status %d is neither the router's 404 nor its 405", res.StatusCode)
	}
	r := s.model.Components.Responses.GetOrZero(name)
	if r == nil {
		return fmt.Errorf("openapi.yaml has no components/responses/%s", name)
	}
	ct := res.Header.Get("Content-Type")
	mediaType, _, _ := strings.Cut(ct, ";")
	content := r.Content.GetOrZero(strings.TrimSpace(mediaType))
	if content == nil || content.Schema == nil {
		return fmt.Errorf("%d with Content-Type %q: components/responses/%s declares no such content", res.StatusCode, ct, name)
	}
	if ok, errs := s.schemas.ValidateSchemaBytesWithVersion(content.Schema.Schema(), body, 3.1); !ok {
		return fmt.Errorf("%d body is not components/responses/%s: %w", res.StatusCode, name, joinValidationErrors(errs))
	}
	return nil
}

// validateSchema checks a JSON value against components/schemas/name.
func (s *spec) validateSchema(name string, value []byte) error {
	proxy := s.model.Components.Schemas.GetOrZero(name)
	if proxy == nil {
		return fmt.Errorf("openapi.yaml has no components/schemas/%s", name)
	}
	if ok, errs := s.schemas.ValidateSchemaBytesWithVersion(proxy.Schema(), value, 3.1); !ok {
		return joinValidationErrors(errs)
	}
	return nil
}

// spec is openapi.yaml ready to check exchanges against.
type spec struct {
	model     *v3.Document
	validator validator.Validator
	router    router.Router
	schemas   schema_validation.SchemaValidator
}

// loadSpec builds the validator once per test binary: it compiles every
// schema of the document, which takes a while.
var loadSpec = sync.OnceValues(func() (*spec, error) {
	raw, err := specBytes()
	if err != nil {
		return nil, err
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	if ok, errs := schema_validation.ValidateOpenAPIDocument(doc); !ok {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", joinValidationErrors(errs))
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	opts := []config.Option{
		// uuid, date-time, email: a created_by that is not a UUID fails.
		config.WithFormatAssertions(),
		// Servers with variables (/api/t/{tenant}) and path-item servers
		// are honoured only by the standalone router's strict matching;
		// the default path-only matching strips document base paths only.
		config.WithStrictServerMatching(),
	}
	return &spec{
		model:     &m.Model,
		validator: validator.NewValidatorFromV3Model(&m.Model, opts...),
		router:    router.NewRouter(&m.Model),
		schemas:   schema_validation.NewSchemaValidator(opts...),
	}, nil
})

// specBytes returns openapi.yaml as internal/http embeds and serves it.
func specBytes() ([]byte, error) { return httpapi.OpenAPI(), nil }

// SpecRoutes returns every operation of openapi.yaml as "METHOD /path" on
// each server it is served under (op, path item or document servers, the
// first that are set), with its operationId: a tenant-scoped /projects is
// both "GET /api/projects" and "GET /api/t/{tenant}/projects". The route
// walk compares it with the router's routes.
func SpecRoutes() (map[string]string, error) {
	s, err := loadSpec()
	if err != nil {
		return nil, err
	}
	routes := map[string]string{}
	for path, item := range s.model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			servers := s.model.Servers
			if len(op.Servers) > 0 {
				servers = op.Servers
			} else if len(item.Servers) > 0 {
				servers = item.Servers
			}
			if len(servers) == 0 {
				servers = []*v3.Server{{URL: "/"}}
			}
			for _, srv := range servers {
				route := strings.ToUpper(method) + " " + strings.TrimSuffix(srv.URL, "/") + path
				if first, dup := routes[route]; dup {
					return nil, fmt.Errorf("openapi.yaml: %s is both %s and %s", route, first, op.OperationId)
				}
				routes[route] = op.OperationId
			}
		}
	}
	return routes, nil
}

// joinValidationErrors makes one error of the validator's findings, one
// line each, with the schema failures under the finding they belong to.
func joinValidationErrors(errs []*valerrors.ValidationError) error {
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s: %s", e.Message, e.Reason)
		for _, f := range e.SchemaValidationErrors {
			at := f.FieldPath
			if at == "" {
				at = "$"
			}
			fmt.Fprintf(&b, "\n\t%s: %s", at, f.Reason)
		}
	}
	return errors.New(b.String())
}
