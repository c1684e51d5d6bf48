package secret

import (
	"bytes"
	"log"
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	cases := map[string]string{
		"":                                  "",
		"short":                             "****",
		"fifteen_chars__":                   "****",
		"0123456789abcdef":                  "0123…cdef",
		"ééééééééééééééééé":                 "éééé…éééé", // runes, not bytes: no broken UTF-8
		"access-sandbox-1234abcd-0000-1111": "access-sandbox-1234…1111",
		"public-sandbox-short":              "public-sandbox-****",
		"2abcdefghijklmnopqrstuvwxyz_SECRETTOKENVALUE": "2abc…ALUE",
	}
	for in, want := range cases {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
	// Never more than 8 characters of the secret part show.
	s := "access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6"
	rest := s[len("access-sandbox-"):]
	if m := Mask(s); strings.Contains(m, rest[4:len(rest)-4]) || len([]rune(m)) > len("access-sandbox-")+9 {
		t.Errorf("Mask leaks: %q", m)
	}
}

func TestScrubMasksKnownValuesWherever(t *testing.T) {
	var r Redactor
	const plaidSecret = "0123456789abcdef0123456789abcd"
	const access = "access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6"
	in := "HTTP 502 from proxy: Plaid-Secret: " + plaidSecret + "\nbody={\"access_token\":\"" + access + "\"}"
	if got := r.Scrub(in); got != in {
		t.Fatalf("an empty Redactor changed the text: %q", got)
	}
	r.Register(plaidSecret, access, "")
	got := r.Scrub(in)
	if strings.Contains(got, plaidSecret) || strings.Contains(got, access) {
		t.Fatalf("Scrub left a secret: %q", got)
	}
	for _, want := range []string{Mask(plaidSecret), Mask(access), "Plaid-Secret: "} {
		if !strings.Contains(got, want) {
			t.Errorf("Scrub = %q, want it to hold %q", got, want)
		}
	}
}

// A secret shorter than MinLen (an emulator's hand-picked "abc", a URL's password) is masked
// wherever it stands as a whole token, and unrelated text that merely contains it is left alone.
func TestScrubMasksShortSecretsAsWholeTokens(t *testing.T) {
	var r Redactor
	r.Register("abc", "pw", "x!7")
	masked := map[string]string{
		"PLAID-SECRET: abc":                "PLAID-SECRET: ****",
		`{"secret":"abc"}`:                 `{"secret":"****"}`,
		"abc":                              "****",
		"https://user:pw@127.0.0.1:9/hook": "https://user:****@127.0.0.1:9/hook",
		"secret=abc&client_id=abc\nabc.":   "secret=****&client_id=****\n****.",
		"tab\tabc\r\n":                     "tab\t****\r\n",
		"bang x!7 and yx!7 and x!7z":       "bang **** and yx!7 and x!7z",
		"é abc é":                          "é **** é",
	}
	kept := []string{
		"abcdef", "cab", "the abc_def key", "abc-123", "xabc", "passwords", "pwned", "Ünabc", "upw",
	}
	for in, want := range masked {
		if got := r.Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
	for _, in := range kept {
		if got := r.Scrub(in); got != in {
			t.Errorf("Scrub(%q) = %q: unrelated text was mangled", in, got)
		}
	}
}

func TestScrubAnyWalksRecords(t *testing.T) {
	var r Redactor
	const tok = "ngrok_2abcdefghijklmnopqrstuvwxyz"
	r.Register(tok)
	rec := map[string]any{
		"message": "ngrok said " + tok,
		"nested":  map[string]any{"list": []any{"x " + tok, 3}},
		"strs":    []string{tok},
		"maps":    []map[string]any{{"k": tok}},
		"n":       42,
	}
	out := r.ScrubAny(rec).(map[string]any)
	var b bytes.Buffer
	log.New(&b, "", 0).Printf("%v", out)
	if strings.Contains(b.String(), tok) {
		t.Fatalf("ScrubAny left the token: %s", b.String())
	}
	if out["n"] != 42 {
		t.Errorf("non-string changed: %v", out["n"])
	}
	if !strings.Contains(rec["message"].(string), tok) {
		t.Error("ScrubAny changed its input instead of copying")
	}
}

func TestWriterScrubsLogLines(t *testing.T) {
	var r Redactor
	const s = "supersecretvalue123"
	r.Register(s)
	var b bytes.Buffer
	l := log.New(r.Writer(&b), "linkrecovery ", 0)
	l.Printf("calling with secret=%s", s)
	if strings.Contains(b.String(), s) || !strings.Contains(b.String(), Mask(s)) {
		t.Fatalf("log line = %q", b.String())
	}
}
