package env

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/testkit/rawcontrol"
)

type idleCounter struct {
	http.RoundTripper
	closed int
}

func (c *idleCounter) CloseIdleConnections() { c.closed++ }

// TestDebugTransportClosesIdleConnections: wrapping the Plaid transport for the debug log must
// not stop Env.Close from dropping idle connections.
func TestDebugTransportClosesIdleConnections(t *testing.T) {
	inner := &idleCounter{}
	c := &http.Client{Transport: debugTransport(inner, log.New(io.Discard, "", 0))}
	c.CloseIdleConnections()
	if inner.closed != 1 {
		t.Fatalf("CloseIdleConnections reached the wrapped transport %d times, want 1", inner.closed)
	}
}

// assertInertLog fails unless out is exactly want lines, each starting with prefix, with no raw
// control byte (C0, DEL, C1 as UTF-8 or as a raw byte), no bidi mark and no invalid UTF-8.
func assertInertLog(t *testing.T, out, prefix string, want int) {
	t.Helper()
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("the log does not end its last line: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != want {
		t.Fatalf("%d records made %d lines: %q", want, len(lines), out)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			t.Errorf("a line does not start as a record does (%q): %q", prefix, l)
		}
		if p := rawcontrol.Problem(l); p != "" {
			t.Errorf("a line %s: %q", p, l)
		}
	}
}

// FuzzDebugLogWriter: whatever a record's fields hold, the debug log's writer makes each record
// exactly one line, starting with the logger's prefix, with no raw control byte, and masks a known
// secret placed among them.
func FuzzDebugLogWriter(f *testing.F) {
	for _, seed := range []string{
		"", "plain", "\n", "a\nlinkrecovery webhook #9 LINK/SESSION_FINISHED -> HTTP 200, verified",
		"\x1b]52;c;Y3VybA==\x07", "\x1b]2;pwned\x07", "\r\x1b[2K", "\x00\x08\x7f", "\x9b31m", "\xc2\x9b31m",
		"\u202eevil", "\xff\xfe", "line\r\n", "\n\n\n", "tab\there", "\u2028\u2029",
	} {
		f.Add(seed)
	}
	const known = "fuzz-debug-secret-0123456789"
	secret.Register(known)
	f.Fuzz(func(t *testing.T, field string) {
		var b bytes.Buffer
		l := log.New(DebugLogWriter(&b), "linkrecovery ", 0)
		l.Printf("webhook #1 %s/%s status=%q -> HTTP 401, NOT verified: %s", field, field, field, field)
		l.Print(field)
		l.Printf("plaid POST /link/token/create -> 200 request_id=%s secret=%s in 1ms", quoteUnlessPlain(field), known)
		out := b.String()
		assertInertLog(t, out, "linkrecovery ", 3)
		if strings.Contains(out, known) {
			t.Errorf("a known secret reached the log: %q", out)
		}
	})
}
