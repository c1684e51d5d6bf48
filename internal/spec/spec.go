// Package spec checks JSON bodies against Plaid's published OpenAPI description (2020-09-14), so the
// emulator and the tests cannot drift from the real API's shapes unnoticed.
//
// The spec is not vendored into this repository (it is 3 MB and belongs to Plaid). It is looked up at
// ../shared/plaid-openapi/2020-09-14.yml relative to the repository root (the directory holding
// go.mod), or at the path in the PLAID_OPENAPI environment variable. Tests that need it call Load,
// which skips the test cleanly when the file is absent.
package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/bankdown/linkrecovery/internal/jsonkind"
)

// EnvPath is the environment variable that overrides where the spec file is looked for.
const EnvPath = "PLAID_OPENAPI"

// relPath is where the spec lives relative to the repository root.
var relPath = filepath.Join("..", "shared", "plaid-openapi", "2020-09-14.yml")

// Source says where the spec comes from. Every message about a missing spec carries it (Find's
// error, so Load's skip and the tests that run unvalidated say it too): "not found" alone leaves a
// new user guessing.
const Source = "Plaid's OpenAPI spec is 2020-09-14.yml from https://github.com/plaid/plaid-openapi " +
	"(git clone https://github.com/plaid/plaid-openapi ../shared/plaid-openapi, from the repository root)"

// ErrNotFound is wrapped by Find (and LoadDefault) when the spec file is not on disk.
var ErrNotFound = errors.New("spec: Plaid OpenAPI file not found")

// Doc is a parsed Plaid OpenAPI document. It is read-only after loading and safe for concurrent use.
type Doc struct {
	path string
	t    *openapi3.T
}

// Path returns the file the document was read from.
func (d *Doc) Path() string { return d.path }

// Find returns the path of the spec file: $PLAID_OPENAPI if set, else ../shared/plaid-openapi/2020-09-14.yml
// relative to the repository root found by walking up from the working directory. The error wraps
// ErrNotFound when there is no such file, and says where it looked.
func Find() (string, error) {
	if p := os.Getenv(EnvPath); p != "" {
		if _, err := os.Stat(p); err != nil {
			// An explicit override that points nowhere is a configuration mistake, not "absent": the
			// message names the variable so it can be fixed.
			return "", fmt.Errorf("%w: %s=%q: %v (fix or unset %s)", ErrNotFound, EnvPath, p, err, EnvPath)
		}
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("spec: cannot get the working directory: %w", err)
	}
	root, err := repoRoot(wd)
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, relPath)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w at %s: %s, or set %s to the file", ErrNotFound, p, Source, EnvPath)
	}
	return p, nil
}

// repoRoot walks up from dir to the first directory that holds go.mod.
func repoRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%w: no go.mod above %s, so the repository root (and ../shared next to it) is unknown; set %s", ErrNotFound, dir, EnvPath)
		}
		d = parent
	}
}

// LoadFile parses the OpenAPI document at path. Parsing Plaid's spec takes a few seconds; prefer Load
// or LoadDefault, which parse it once per process.
func LoadFile(path string) (*Doc, error) {
	loader := openapi3.NewLoader()
	// Plaid's spec is self-contained; refusing external refs keeps a test from reaching the network.
	loader.IsExternalRefsAllowed = false
	t, err := loader.LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("spec: parse %s: %w", path, err)
	}
	if t.Paths == nil || t.Components == nil {
		return nil, fmt.Errorf("spec: %s has no paths or components; is it really Plaid's OpenAPI file?", path)
	}
	return &Doc{path: path, t: t}, nil
}

var (
	defaultOnce sync.Once
	defaultDoc  *Doc
	defaultErr  error
)

// LoadDefault finds (Find) and parses the spec once per process; later calls return the same result.
func LoadDefault() (*Doc, error) {
	defaultOnce.Do(func() {
		p, err := Find()
		if err != nil {
			defaultErr = err
			return
		}
		defaultDoc, defaultErr = LoadFile(p)
	})
	return defaultDoc, defaultErr
}

// Load returns the process-wide parsed spec. When the file is absent the test is skipped with a message
// saying where it was looked for; when it is present but unreadable, or PLAID_OPENAPI points nowhere,
// the test fails, because that is a broken setup rather than a missing optional file.
func Load(t testing.TB) *Doc {
	t.Helper()
	d, err := LoadDefault()
	if err != nil {
		if errors.Is(err, ErrNotFound) && os.Getenv(EnvPath) == "" {
			t.Skipf("skipping: %v", err)
		}
		t.Fatalf("loading Plaid's OpenAPI spec: %v", err)
	}
	return d
}

// ValidateResponse reports (t.Errorf, one line per violation) how body breaks the spec's response
// schema for status of the operation method+path (Plaid's operations are all POST /x/y).
func (d *Doc) ValidateResponse(t testing.TB, method, path string, status int, body []byte) {
	t.Helper()
	report(t, fmt.Sprintf("%s %s %d response", method, path, status), d.ValidateResponseErr(method, path, status, body))
}

// ValidateRequest reports how body breaks the spec's request schema of method+path.
func (d *Doc) ValidateRequest(t testing.TB, method, path string, body []byte) {
	t.Helper()
	report(t, fmt.Sprintf("%s %s request", method, path), d.ValidateRequestErr(method, path, body))
}

// ValidateSchema reports how body breaks #/components/schemas/<name> (e.g. LinkSessionFinishedWebhook,
// ItemAddResultWebhook, LinkEventsWebhook, PlaidError).
func (d *Doc) ValidateSchema(t testing.TB, name string, body []byte) {
	t.Helper()
	report(t, "schema "+name, d.ValidateSchemaErr(name, body))
}

func report(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var v *ValidationError
	if errors.As(err, &v) {
		for _, p := range v.Problems {
			t.Errorf("%s does not match Plaid's spec: %s", what, p)
		}
		return
	}
	t.Errorf("%s: %v", what, err)
}

// ValidationError lists every way a body breaks a schema. Problems are "/json/pointer: reason" lines,
// sorted; they never include the offending values, so secrets in a body cannot leak into test logs.
type ValidationError struct {
	Schema   string // what was validated against, e.g. "POST /link/token/create 200 response"
	Problems []string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%s: %d problem(s): %s", e.Schema, len(e.Problems), strings.Join(e.Problems, "; "))
}

// ValidateResponseErr is ValidateResponse returning an error (a *ValidationError when the body was
// checked and broke the schema; another error when the operation, status or schema is unknown or the
// body is not JSON).
func (d *Doc) ValidateResponseErr(method, path string, status int, body []byte) error {
	op, err := d.operation(method, path)
	if err != nil {
		return err
	}
	if op.Responses == nil {
		return fmt.Errorf("spec: %s %s declares no responses", method, path)
	}
	ref := op.Responses.Status(status)
	which := strconv.Itoa(status)
	if ref == nil {
		ref = op.Responses.Default()
		which = "default"
	}
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("spec: %s %s declares no response for status %d and no default", method, path, status)
	}
	schema, err := jsonSchema(ref.Value.Content)
	if err != nil {
		return fmt.Errorf("spec: %s %s response %s: %w", method, path, which, err)
	}
	return d.validate(fmt.Sprintf("%s %s %s response", strings.ToUpper(method), path, which), schema, body, openapi3.VisitAsResponse())
}

// ValidateRequestErr is ValidateRequest returning an error.
func (d *Doc) ValidateRequestErr(method, path string, body []byte) error {
	op, err := d.operation(method, path)
	if err != nil {
		return err
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return fmt.Errorf("spec: %s %s declares no request body", method, path)
	}
	schema, err := jsonSchema(op.RequestBody.Value.Content)
	if err != nil {
		return fmt.Errorf("spec: %s %s request: %w", method, path, err)
	}
	return d.validate(fmt.Sprintf("%s %s request", strings.ToUpper(method), path), schema, body, openapi3.VisitAsRequest())
}

// ValidateSchemaErr is ValidateSchema returning an error.
func (d *Doc) ValidateSchemaErr(name string, body []byte) error {
	ref := d.t.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("spec: no schema %q under #/components/schemas (names are case-sensitive, e.g. LinkSessionFinishedWebhook)", name)
	}
	// Webhook bodies are what Plaid sends us, so they are checked as responses (readOnly allowed).
	return d.validate("#/components/schemas/"+name, ref.Value, body, openapi3.VisitAsResponse())
}

// HasSchema reports whether #/components/schemas/<name> exists.
func (d *Doc) HasSchema(name string) bool {
	ref := d.t.Components.Schemas[name]
	return ref != nil && ref.Value != nil
}

func (d *Doc) operation(method, path string) (*openapi3.Operation, error) {
	item := d.t.Paths.Find(path)
	if item == nil {
		return nil, fmt.Errorf("spec: no path %q in Plaid's spec (paths look like /link/token/create)", path)
	}
	op := item.GetOperation(strings.ToUpper(method))
	if op == nil {
		return nil, fmt.Errorf("spec: %s has no %s operation (Plaid's API uses POST)", path, strings.ToUpper(method))
	}
	return op, nil
}

func jsonSchema(content openapi3.Content) (*openapi3.Schema, error) {
	mt := content.Get("application/json")
	if mt == nil {
		return nil, errors.New("no application/json content")
	}
	if mt.Schema == nil || mt.Schema.Value == nil {
		return nil, errors.New("application/json content has no schema")
	}
	return mt.Schema.Value, nil
}

func (d *Doc) validate(what string, schema *openapi3.Schema, body []byte, mode openapi3.SchemaValidationOption) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&v); err != nil {
		return &ValidationError{Schema: what, Problems: []string{"body is not valid JSON: " + err.Error()}}
	}
	if dec.More() {
		return &ValidationError{Schema: what, Problems: []string{"body has trailing data after the JSON value"}}
	}
	// Every Plaid body is a JSON object. Some schemas (PlaidError) are nullable, which would let a bare
	// `null` through, but no Plaid endpoint or webhook ever sends one.
	if _, ok := v.(map[string]any); !ok {
		return &ValidationError{Schema: what, Problems: []string{fmt.Sprintf("body is %s, not a JSON object", jsonkind.Of(v))}}
	}
	opts := append(d.t.GetSchemaValidationOptions(),
		mode,
		openapi3.MultiErrors(),
		// Details would print the offending value, which may be an access token or a secret.
		openapi3.DisableSchemaErrorDetails(),
	)
	err := schema.VisitJSON(v, opts...)
	if err == nil {
		return nil
	}
	problems := flatten(err, nil)
	sort.Strings(problems)
	problems = compactStrings(problems)
	return &ValidationError{Schema: what, Problems: problems}
}

// flatten turns kin-openapi's nested MultiError/SchemaError tree into one line per leaf violation.
func flatten(err error, out []string) []string {
	var me openapi3.MultiError
	if errors.As(err, &me) && len(me) > 0 {
		// errors.As also matches a MultiError nested inside a SchemaError's Origin; only descend when
		// err itself is the list, otherwise fall through and print the SchemaError (which names the path).
		if m, ok := err.(openapi3.MultiError); ok {
			for _, e := range m {
				out = flatten(e, out)
			}
			return out
		}
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		ptr := "/" + strings.Join(se.JSONPointer(), "/")
		reason := se.Reason
		if se.Origin != nil {
			reason = se.Origin.Error()
		}
		if reason == "" {
			reason = fmt.Sprintf("does not match schema keyword %q", se.SchemaField)
		}
		return append(out, ptr+": "+reason)
	}
	return append(out, err.Error())
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// Examples returns the spec's own x-examples of #/components/schemas/<name>, re-encoded as JSON, keyed
// by example name. They are handy known-good bodies for tests.
func (d *Doc) Examples(name string) (map[string][]byte, error) {
	ref := d.t.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("spec: no schema %q", name)
	}
	raw, ok := ref.Value.Extensions["x-examples"]
	if !ok {
		return nil, fmt.Errorf("spec: schema %q has no x-examples", name)
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("spec: x-examples of %q is %T, not a map", name, raw)
	}
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("spec: x-examples %q of %q: %w", k, name, err)
		}
		out[k] = b
	}
	return out, nil
}
