package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxBodyBytes bounds every JSON request body.
const maxBodyBytes = 64 << 10

// Decode reads a JSON request body into v strictly: the content type must be
// application/json (415), the body at most maxBodyBytes (413), valid UTF-8,
// one JSON value with no unknown, repeated or wrongly cased fields, no lone
// surrogate escapes, and nothing after it (400).
func Decode(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send a JSON body with Content-Type: application/json.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return errorf(http.StatusBadRequest, "invalid_body", "The request body could not be read.")
	}
	if len(body) > maxBodyBytes {
		return errorf(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("The request body must be at most %d bytes.", maxBodyBytes))
	}
	// encoding/json would silently replace invalid UTF-8 with U+FFFD.
	if !utf8.Valid(body) {
		return errorf(http.StatusBadRequest, "invalid_json", "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "invalid_json", "The request body must hold exactly one JSON value.")
	}
	if err := checkStrictJSON(body, v); err != nil {
		return errorf(http.StatusBadRequest, "invalid_json", err.Error())
	}
	return nil
}

func jsonError(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "invalid_json", "The request body is empty.")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "invalid_json", "The request body is not valid JSON.")
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return errorf(http.StatusBadRequest, "invalid_json", fmt.Sprintf("Field %q has the wrong type.", typeErr.Field))
		}
		return errorf(http.StatusBadRequest, "invalid_json", "The request body must be a JSON object.")
	default:
		// Unknown fields: encoding/json's message names the field and
		// echoes nothing else from the body.
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if len(msg) > 120 {
			msg = msg[:120] + "…"
		}
		return errorf(http.StatusBadRequest, "invalid_json", "The request body is not acceptable: "+strings.ToValidUTF8(msg, "")+".")
	}
}

// Respond writes v as JSON with the given status.
func Respond(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v == nil {
		return nil
	}
	return json.NewEncoder(w).Encode(v)
}
