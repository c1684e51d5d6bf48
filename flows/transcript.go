package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/bankdown/linkrecovery/internal/privfile"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// Transcript writes Records as JSON lines to a 0600 file.
type Transcript struct {
	mu sync.Mutex
	w  io.WriteCloser
}

// OpenTranscript creates (or truncates) path with mode 0600.
func OpenTranscript(path string) (*Transcript, error) {
	if path == "" {
		return nil, errors.New("--transcript needs a file name")
	}
	// Owner-only, never through a symlink, and tightened if it existed with looser permissions.
	f, err := privfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open the transcript %s: %w; pick a writable path", path, err)
	}
	return &Transcript{w: f}, nil
}

// Write appends one record (secrets redacted; a "time" added if missing). Safe for concurrent use.
func (t *Transcript) Write(r Record) error {
	if t == nil {
		return nil
	}
	line, err := encodeRecord(r)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w == nil {
		return errors.New("transcript is closed")
	}
	_, err = t.w.Write(line)
	return err
}

// Close closes the file.
func (t *Transcript) Close() error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w == nil {
		return nil
	}
	err := t.w.Close()
	t.w = nil
	return err
}

// JSONLines returns an emit func that prints records as JSON lines on w (stdout in --no-tui mode),
// redacted like a transcript. Write errors are dropped: a closed stdout must not end the flow.
func JSONLines(w io.Writer) func(Record) {
	var mu sync.Mutex
	return func(r Record) {
		line, err := encodeRecord(r)
		if err != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		_, _ = w.Write(line)
	}
}

// Tee returns an emit func that hands every record to each of emits in turn (nil ones skipped).
func Tee(emits ...func(Record)) func(Record) {
	return func(r Record) {
		for _, emit := range emits {
			if emit != nil {
				emit(r)
			}
		}
	}
}

// Emit is Write as an emit func for RunHeadless (errors ignored, see Write).
func (t *Transcript) Emit(r Record) { _ = t.Write(r) }

func encodeRecord(r Record) ([]byte, error) {
	// Through JSON and back first: whatever types a caller put in (a []Record of accounts, a
	// struct), what is masked is then exactly what is written, every field of every record at
	// any depth, arrays included.
	first, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("cannot encode record %v: %w", r["event"], err)
	}
	var plain map[string]any
	d := json.NewDecoder(bytes.NewReader(first))
	d.UseNumber() // numbers stay as they were written
	if err := d.Decode(&plain); err != nil {
		return nil, fmt.Errorf("cannot encode record %v: %w", r["event"], err)
	}
	// Field names catch a secret a caller named; the registry catches known secrets anywhere else
	// (an echoed header quoted in an error message, say).
	clean, _ := secret.ScrubAny(map[string]any(Redact(Record(plain)))).(map[string]any)
	if _, ok := clean["time"]; !ok {
		clean["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(clean)
	if err != nil {
		return nil, fmt.Errorf("cannot encode record %v: %w", r["event"], err)
	}
	return append(escapeInvisible(b), '\n'), nil
}

// escapeInvisible writes DEL, the C1 controls and the bidi marks as \u escapes, which
// encoding/json leaves raw (it escapes only C0): JSON lines are often read in a terminal, which may
// obey a C1 CSI or reorder text after a bidi override. They can only stand inside a JSON string,
// where the escape means the same character.
func escapeInvisible(b []byte) []byte {
	if !bytes.ContainsFunc(b, invisible) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if invisible(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// invisible is what escapeInvisible escapes.
func invisible(r rune) bool {
	return r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// secretKeys are record fields whose values are masked wherever they appear, in case a caller
// passes one: the flows themselves never put them in a record.
var secretKeys = map[string]bool{
	"access_token": true, "secret": true, "plaid_secret": true, "client_secret": true,
	"authtoken": true, "ngrok_authtoken": true, "public_token": true, "public_tokens": true,
	"password": true,
}

// Redact returns a copy of r with secret-named fields masked (see secret.Mask), at any depth.
func Redact(r Record) Record {
	out := make(Record, len(r))
	for k, v := range r {
		out[k] = redactValue(k, v)
	}
	return out
}

func redactValue(key string, v any) any {
	if secretKeys[strings.ToLower(key)] {
		switch x := v.(type) {
		case string:
			return secret.Mask(x)
		case []string:
			m := make([]string, len(x))
			for i, s := range x {
				m[i] = secret.Mask(s)
			}
			return m
		case []any:
			// A list as JSON decodes it (a body's public_tokens): each item hidden whole, but its
			// length kept, so an empty one (the person left Link) still reads as empty.
			m := make([]any, len(x))
			for i := range x {
				m[i] = "****"
			}
			return m
		case nil:
			return nil
		default:
			return "****"
		}
	}
	switch x := v.(type) {
	case Record:
		return Redact(x)
	case map[string]any:
		return map[string]any(Redact(Record(x)))
	case []Record:
		m := make([]Record, len(x))
		for i, r := range x {
			m[i] = Redact(r)
		}
		return m
	case []map[string]any:
		m := make([]map[string]any, len(x))
		for i, r := range x {
			m[i] = map[string]any(Redact(Record(r)))
		}
		return m
	case []any:
		m := make([]any, len(x))
		for i, e := range x {
			m[i] = redactValue("", e)
		}
		return m
	}
	return v
}
