package tunnel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A broken ngrok.yml is refused naming the file, the line and the key, never a value: yaml's own
// errors quote them (an `authtoken: *TOKEN` alias prints the token as the anchor's name).
func TestNgrokConfigErrorsNeverQuoteValues(t *testing.T) {
	const tok = "2abcDEFghijk_LMNOPqrstuvSECRET"
	cases := []struct {
		name, content string
		want          []string
	}{
		{"alias to an unknown anchor", "version: \"2\"\nauthtoken: *" + tok + "\n", []string{"line 2 (authtoken)", "anchor"}},
		{"alias under agent", "version: \"3\"\nagent:\n  authtoken: *" + tok + "\n", []string{"line 3 (authtoken)", "anchor"}},
		{"wrong type", "version: \"3\"\nagent: " + tok + "\n", []string{"line 2 (agent)", "wrong type"}},
		{"tagged wrong type", "authtoken: !!int " + tok + "\n", []string{"line 1 (authtoken)", "wrong type"}},
		{"unclosed quote", "version: \"2\"\nauthtoken: \"" + tok + "\n", []string{"line 2 (authtoken)", "not closed"}},
		{"a colon in the value", "authtoken: " + tok + ": more\n", []string{"line 1 (authtoken)"}},
		{"a backquote", "version: \"2\"\nauthtoken: `" + tok + "`\n", []string{"line 2 (authtoken)"}},
		{"a token posing as a key", "version: \"2\"\n" + tok + ": *x\n", []string{"line 2:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			p := filepath.Join(home, ".config", "ngrok", "ngrok.yml")
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, path, err := NgrokConfigAuthtoken(func(k string) string { return map[string]string{"HOME": home}[k] }, "linux")
			if err == nil || path != p {
				t.Fatalf("err %v path %s, want an error about %s", err, path, p)
			}
			msg := err.Error()
			if strings.Contains(msg, tok[:8]) || strings.Contains(msg, "SECRET") {
				t.Errorf("the error quotes the token: %s", msg)
			}
			for _, w := range append(c.want, p, "not valid YAML") {
				if !strings.Contains(msg, w) {
					t.Errorf("the error lacks %q: %s", w, msg)
				}
			}
		})
	}
}
