package secret

import (
	"bytes"
	"log"
	"os"
	"path/filepath"
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
	r.Register(plaidSecret, access, "", "short")
	got := r.Scrub(in)
	if strings.Contains(got, plaidSecret) || strings.Contains(got, access) {
		t.Fatalf("Scrub left a secret: %q", got)
	}
	for _, want := range []string{Mask(plaidSecret), Mask(access), "Plaid-Secret: "} {
		if !strings.Contains(got, want) {
			t.Errorf("Scrub = %q, want it to hold %q", got, want)
		}
	}
	if r.Scrub("a short word") != "a short word" {
		t.Error("a value shorter than MinLen was registered")
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

func TestOpenPrivateRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	if err := os.WriteFile(target, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "transcript.jsonl")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	for _, appendTo := range []bool{false, true} {
		f, err := OpenPrivate(link, appendTo)
		if err == nil {
			f.Close()
			t.Fatalf("OpenPrivate(append=%v) followed the symlink", appendTo)
		}
		if !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("error %q does not name the cause", err)
		}
	}
	if err := WriteFile(link, []byte("x")); err == nil {
		t.Fatal("WriteFile followed the symlink")
	}
	b, _ := os.ReadFile(target)
	fi, _ := os.Stat(target)
	if string(b) != "keep me" || fi.Mode().Perm() != 0o644 {
		t.Errorf("the symlink's target changed: %q %v", b, fi.Mode())
	}
}

func TestOpenPrivateTightensExistingFile(t *testing.T) {
	for _, appendTo := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := OpenPrivate(path, appendTo)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("new\n"); err != nil {
			t.Fatal(err)
		}
		f.Close()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("append=%v: mode %v, want 0600", appendTo, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(path)
		want := "new\n"
		if appendTo {
			want = "old\nnew\n"
		}
		if string(b) != want {
			t.Errorf("append=%v: content %q, want %q", appendTo, b, want)
		}
	}
	// A new file is 0600 too, and WriteFile replaces what was there.
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("a much longer old content"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("k=v\n")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	b, _ := os.ReadFile(path)
	if fi.Mode().Perm() != 0o600 || string(b) != "k=v\n" {
		t.Errorf("WriteFile: mode %v content %q", fi.Mode().Perm(), b)
	}
}

func TestOpenPrivateRefusesDirectory(t *testing.T) {
	if _, err := OpenPrivate(t.TempDir(), true); err == nil {
		t.Fatal("opened a directory")
	}
}
