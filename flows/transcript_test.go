package flows

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bankdown/linkrecovery/internal/secret"
)

func TestTranscriptModeAndContent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "run.jsonl")
	// An existing, world-readable file must end up 0600 too.
	if err := os.WriteFile(p, []byte("old content that must go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := OpenTranscript(p)
	if err != nil {
		t.Fatal(err)
	}
	tok := "access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6"
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := tr.Write(Record{"event": "webhook", "seq": i, "access_token": tok,
				"nested": map[string]any{"secret": "plaid_secret_value_0123456789"}}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Write(Record{"event": "late"}); err == nil {
		t.Error("write after close must fail")
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(p)
	if bytes.Contains(data, []byte("old content")) {
		t.Error("transcript not truncated")
	}
	if bytes.Contains(data, []byte(tok)) || bytes.Contains(data, []byte("plaid_secret_value")) {
		t.Error("transcript holds a secret")
	}
	seen := map[float64]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		if r["event"] != "webhook" || r["time"] == nil || r["access_token"] != secret.Mask(tok) {
			t.Errorf("bad line %v", r)
		}
		seen[r["seq"].(float64)] = true
	}
	if len(seen) != 20 {
		t.Errorf("got %d distinct lines, want 20 (interleaved writes?)", len(seen))
	}
}

func TestOpenTranscriptErrors(t *testing.T) {
	if _, err := OpenTranscript(""); err == nil {
		t.Error("empty path must fail")
	}
	p := filepath.Join(t.TempDir(), "no", "such", "dir", "t.jsonl")
	if _, err := OpenTranscript(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("want an error naming the path, got %v", err)
	}
}

func TestJSONLinesAndTee(t *testing.T) {
	var a, b bytes.Buffer
	emit := Tee(JSONLines(&a), nil, JSONLines(&b))
	emit(Record{"event": "public_token_exchanged", "item_id": "it", "public_tokens": []string{"public-sandbox-0123456789abcdef"}})
	for _, buf := range []*bytes.Buffer{&a, &b} {
		line := buf.String()
		if !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
			t.Errorf("want one line, got %q", line)
		}
		if strings.Contains(line, "0123456789abcdef") || !strings.Contains(line, `"item_id":"it"`) {
			t.Errorf("bad line %q", line)
		}
	}
}

// Masking covers every field of every record whatever its Go type: a []Record, a struct, a
// nested Record; numbers stay as written.
func TestEncodeRecordMasksEveryField(t *testing.T) {
	const tok = "access-sandbox-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	secret.Register(tok)
	type acct struct {
		Name string `json:"name"`
	}
	line, err := encodeRecord(Record{"event": "x", "accounts": []Record{{"name": "Checking " + tok}},
		"nested": Record{"list": []acct{{Name: tok}}}, "ptr": &acct{Name: tok}, "n": 12345678901234567, "time": "t"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(line), tok) || !strings.Contains(string(line), secret.Mask(tok)) {
		t.Errorf("record = %s", line)
	}
	if !strings.Contains(string(line), `"n":12345678901234567`) {
		t.Errorf("a number changed: %s", line)
	}
}

// JSON lines are often read in a terminal: DEL, the C1 controls (a raw CSI) and the bidi marks
// are escaped too, not only what encoding/json escapes, and the record still decodes the same.
func TestJSONLinesEscapeC1AndBidi(t *testing.T) {
	const hostile = "a\x7fb\u009b31mc\u202ed\u2066e\x1b"
	var b bytes.Buffer
	JSONLines(&b)(Record{"event": "x", "message": hostile, "time": "t"})
	for _, r := range b.String() {
		if r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x202e || r == 0x2066 || r == 0x1b {
			t.Errorf("raw %U in %q", r, b.String())
		}
	}
	var back map[string]any
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["message"] != hostile {
		t.Errorf("the line does not decode to the same record: %v %q", err, back["message"])
	}
}
