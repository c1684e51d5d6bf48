package spec

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mutate decodes a JSON object, applies f, and re-encodes it.
func mutate(t *testing.T, body []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func problems(t *testing.T, err error) []string {
	t.Helper()
	var v *ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("want a *ValidationError, got %T: %v", err, err)
	}
	return v.Problems
}

func wantProblem(t *testing.T, err error, substrs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a validation error mentioning %q, got none", substrs)
	}
	for _, p := range problems(t, err) {
		ok := true
		for _, s := range substrs {
			if !strings.Contains(p, s) {
				ok = false
			}
		}
		if ok {
			return
		}
	}
	t.Fatalf("no problem mentions all of %q; got: %v", substrs, err)
}

func sessionFinishedExample(t *testing.T, d *Doc) []byte {
	t.Helper()
	ex, err := d.Examples("LinkSessionFinishedWebhook")
	if err != nil {
		t.Fatal(err)
	}
	b, ok := ex["example-1"]
	if !ok {
		t.Fatalf("spec has no example-1 for LinkSessionFinishedWebhook: %v", ex)
	}
	return b
}

func TestSchemaExamplePasses(t *testing.T) {
	d := Load(t)
	for _, name := range []string{"LinkSessionFinishedWebhook", "ItemAddResultWebhook", "LinkEventsWebhook"} {
		ex, err := d.Examples(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(ex) == 0 {
			t.Fatalf("%s: no examples", name)
		}
		for k, b := range ex {
			if err := d.ValidateSchemaErr(name, b); err != nil {
				t.Errorf("%s %s: the spec's own example fails: %v", name, k, err)
			}
		}
	}
}

func TestSchemaViolations(t *testing.T) {
	d := Load(t)
	good := sessionFinishedExample(t, d)

	t.Run("missing required", func(t *testing.T) {
		b := mutate(t, good, func(m map[string]any) { delete(m, "link_token") })
		wantProblem(t, d.ValidateSchemaErr("LinkSessionFinishedWebhook", b), "link_token")
	})
	t.Run("wrong type", func(t *testing.T) {
		b := mutate(t, good, func(m map[string]any) { m["public_tokens"] = "public-sandbox-x" })
		wantProblem(t, d.ValidateSchemaErr("LinkSessionFinishedWebhook", b), "/public_tokens", "array")
	})
	t.Run("wrong item type", func(t *testing.T) {
		b := mutate(t, good, func(m map[string]any) { m["public_tokens"] = []any{1} })
		wantProblem(t, d.ValidateSchemaErr("LinkSessionFinishedWebhook", b), "/public_tokens/0", "string")
	})
	t.Run("bad enum", func(t *testing.T) {
		b := mutate(t, good, func(m map[string]any) { m["environment"] = "staging" })
		wantProblem(t, d.ValidateSchemaErr("LinkSessionFinishedWebhook", b), "/environment")
	})
	t.Run("every violation reported", func(t *testing.T) {
		b := mutate(t, good, func(m map[string]any) {
			delete(m, "link_token")
			m["environment"] = "staging"
		})
		ps := problems(t, d.ValidateSchemaErr("LinkSessionFinishedWebhook", b))
		t.Logf("problems: %q", ps)
		if len(ps) < 2 {
			t.Fatalf("want both violations, got %q", ps)
		}
	})
	t.Run("additional properties allowed", func(t *testing.T) {
		b := mutate(t, good, func(m map[string]any) { m["something_new"] = true })
		if err := d.ValidateSchemaErr("LinkSessionFinishedWebhook", b); err != nil {
			t.Fatalf("spec allows additionalProperties here, got %v", err)
		}
	})
	t.Run("values not leaked", func(t *testing.T) {
		secret := "access-sandbox-SECRETVALUE"
		b := mutate(t, good, func(m map[string]any) { m["link_token"] = map[string]any{"x": secret} })
		err := d.ValidateSchemaErr("LinkSessionFinishedWebhook", b)
		wantProblem(t, err, "/link_token")
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error leaks the value: %v", err)
		}
	})
	t.Run("not an object", func(t *testing.T) {
		wantProblem(t, d.ValidateSchemaErr("PlaidError", []byte("null")), "not a JSON object")
		wantProblem(t, d.ValidateSchemaErr("PlaidError", []byte("{")), "not valid JSON")
	})
	t.Run("unknown schema", func(t *testing.T) {
		err := d.ValidateSchemaErr("NoSuchSchema", good)
		var v *ValidationError
		if err == nil || errors.As(err, &v) || !strings.Contains(err.Error(), "NoSuchSchema") {
			t.Fatalf("want a plain error naming the schema, got %v", err)
		}
	})
}

func TestResponse(t *testing.T) {
	d := Load(t)
	ok := []byte(`{"link_token":"link-sandbox-af1a0311-da53-4636-b754-dd15cc058176","expiration":"2020-03-27T12:56:34Z","request_id":"XQVgFigpGHXkb0b"}`)
	if err := d.ValidateResponseErr("POST", "/link/token/create", 200, ok); err != nil {
		t.Fatalf("valid /link/token/create response rejected: %v", err)
	}
	// method is case-insensitive
	if err := d.ValidateResponseErr("post", "/link/token/create", 200, ok); err != nil {
		t.Fatalf("lower-case method: %v", err)
	}
	t.Run("missing required", func(t *testing.T) {
		b := mutate(t, ok, func(m map[string]any) { delete(m, "request_id") })
		wantProblem(t, d.ValidateResponseErr("POST", "/link/token/create", 200, b), "request_id")
	})
	t.Run("bad date-time", func(t *testing.T) {
		b := mutate(t, ok, func(m map[string]any) { m["expiration"] = "tomorrow" })
		wantProblem(t, d.ValidateResponseErr("POST", "/link/token/create", 200, b), "/expiration")
	})
	t.Run("error body uses default", func(t *testing.T) {
		e := []byte(`{"error_type":"INVALID_INPUT","error_code":"INVALID_FIELD","error_message":"x","display_message":null,"request_id":"r1","causes":[],"status":400,"documentation_url":"https://plaid.com/docs","suggested_action":null}`)
		if err := d.ValidateResponseErr("POST", "/link/token/create", 400, e); err != nil {
			t.Fatalf("valid PlaidError rejected: %v", err)
		}
		bad := mutate(t, e, func(m map[string]any) { m["error_type"] = "NOT_A_TYPE" })
		wantProblem(t, d.ValidateResponseErr("POST", "/link/token/create", 400, bad), "/error_type")
	})
	t.Run("unknown path", func(t *testing.T) {
		err := d.ValidateResponseErr("POST", "/no/such/path", 200, ok)
		if err == nil || !strings.Contains(err.Error(), "/no/such/path") {
			t.Fatalf("want error naming the path, got %v", err)
		}
	})
	t.Run("wrong method", func(t *testing.T) {
		if err := d.ValidateResponseErr("GET", "/link/token/create", 200, ok); err == nil {
			t.Fatal("GET accepted")
		}
	})
}

func TestRequest(t *testing.T) {
	d := Load(t)
	ok := []byte(`{"client_id":"c","secret":"s","public_token":"public-sandbox-1"}`)
	if err := d.ValidateRequestErr("POST", "/item/public_token/exchange", ok); err != nil {
		t.Fatalf("valid exchange request rejected: %v", err)
	}
	wantProblem(t, d.ValidateRequestErr("POST", "/item/public_token/exchange", []byte(`{"client_id":"c"}`)), "public_token")
}

// fakeT records what the *testing.T-style helpers report, to test them without failing this test.
type fakeT struct {
	testing.TB
	errs  []string
	skips []string
}

func (f *fakeT) Helper()                        {}
func (f *fakeT) Errorf(format string, a ...any) { f.errs = append(f.errs, format) }

func TestHelpersReportEveryProblem(t *testing.T) {
	d := Load(t)
	good := sessionFinishedExample(t, d)
	bad := mutate(t, good, func(m map[string]any) {
		delete(m, "status")
		m["environment"] = 3
	})
	ft := &fakeT{TB: t}
	d.ValidateSchema(ft, "LinkSessionFinishedWebhook", bad)
	if len(ft.errs) < 2 {
		t.Fatalf("want one Errorf per problem (>=2), got %d", len(ft.errs))
	}
	ft = &fakeT{TB: t}
	d.ValidateSchema(ft, "LinkSessionFinishedWebhook", good)
	if len(ft.errs) != 0 {
		t.Fatalf("valid body reported: %v", ft.errs)
	}
}

func TestFind(t *testing.T) {
	t.Run("override missing", func(t *testing.T) {
		t.Setenv(EnvPath, filepath.Join(t.TempDir(), "nope.yml"))
		_, err := Find()
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), EnvPath) {
			t.Fatalf("want ErrNotFound naming %s, got %v", EnvPath, err)
		}
	})
	t.Run("override present", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "x.yml")
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv(EnvPath, p)
		got, err := Find()
		if err != nil || got != p {
			t.Fatalf("Find() = %q, %v; want %q", got, err, p)
		}
	})
	t.Run("walks up to go.mod", func(t *testing.T) {
		t.Setenv(EnvPath, "")
		root := t.TempDir()
		repo := filepath.Join(root, "main")
		deep := filepath.Join(repo, "a", "b")
		specDir := filepath.Join(root, "shared", "plaid-openapi")
		for _, dir := range []string{deep, specDir} {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Chdir(deep)
		if _, err := Find(); !errors.Is(err, ErrNotFound) {
			t.Fatalf("want ErrNotFound before the file exists, got %v", err)
		} else if !strings.Contains(err.Error(), "https://github.com/plaid/plaid-openapi") || !strings.Contains(err.Error(), specDir) {
			// The skip message of every spec test is this error: it must say where the file comes from.
			t.Fatalf("the not-found error does not say where the spec comes from and where it goes: %v", err)
		}
		want := filepath.Join(specDir, "2020-09-14.yml")
		if err := os.WriteFile(want, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := Find()
		if err != nil {
			t.Fatal(err)
		}
		if g, _ := filepath.EvalSymlinks(got); g != want {
			if w, _ := filepath.EvalSymlinks(want); g != w {
				t.Fatalf("Find() = %q, want %q", got, want)
			}
		}
	})
	t.Run("garbage file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "x.yml")
		if err := os.WriteFile(p, []byte("::: not yaml"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadFile(p); err == nil {
			t.Fatal("garbage parsed")
		}
	})
}
