package env

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bankdown/linkrecovery/internal/sanitize"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// DebugLogWriter is the debug log's sink (LINKRECOVERY_DEBUG), the one way every record reaches
// the file, whoever logs it (flows, the TUI, a library using the standard logger): each Write, which
// a log.Logger makes once per record, becomes exactly one line, with every known secret masked
// (internal/secret) and then every control byte, newline and carriage return included, made a
// visible escape (internal/sanitize). So no field of a record, a webhook's type, a Plaid
// request_id or error text, can end its line, start a forged one, or drive the terminal that
// shows the file.
func DebugLogWriter(w io.Writer) io.Writer { return secret.Known.Writer(oneLine{w}) }

// oneLine writes each Write as one sanitised line.
type oneLine struct{ w io.Writer }

func (o oneLine) Write(p []byte) (int, error) {
	if _, err := io.WriteString(o.w, sanitize.Text(strings.TrimSuffix(string(p), "\n"))+"\n"); err != nil {
		return 0, err
	}
	return len(p), nil
}

// debugTransport wraps next so that each Plaid call leaves one line in debug (nil: next as is):
// method, path, status, Plaid's request_id and duration. Never headers or bodies: they carry the
// keys and tokens.
func debugTransport(next http.RoundTripper, debug *log.Logger) http.RoundTripper {
	if debug == nil {
		return next
	}
	return &loggingTransport{next: next, log: debug}
}

type loggingTransport struct {
	next http.RoundTripper
	log  *log.Logger
}

// maxPeek bounds how much of a response is read ahead for its request_id (Plaid's answers are a
// few KiB; the rest still reaches plaid-go untouched).
const maxPeek = 1 << 20

// RoundTrip is http.RoundTripper.
func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	took := time.Since(start).Round(10 * time.Microsecond)
	if err != nil {
		t.log.Printf("plaid %s %s: no answer after %s: %v", req.Method, req.URL.Path, took, err)
		return resp, err
	}
	t.log.Printf("plaid %s %s -> %d request_id=%s in %s", req.Method, req.URL.Path, resp.StatusCode, quoteUnlessPlain(peekRequestID(resp)), took)
	return resp, nil
}

// CloseIdleConnections passes on to the wrapped transport, so Env.Close still drops them (an idle
// connection left open stalls the emulator's shutdown).
func (t *loggingTransport) CloseIdleConnections() {
	if ci, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// peekRequestID reads request_id from resp's JSON body and puts the body back as it was.
func peekRequestID(resp *http.Response) string {
	if resp.Body == nil {
		return "-"
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, maxPeek))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	if err != nil {
		return "-"
	}
	var body struct {
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(head, &body) != nil || body.RequestID == "" {
		return "-"
	}
	return body.RequestID
}

// quoteUnlessPlain leaves a value made of letters, digits, '-', '_' and '.' as it is (a Plaid
// request_id) and quotes anything else, so text from outside cannot pose as the rest of a line.
func quoteUnlessPlain(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}

func (e *Env) debugf(format string, args ...any) {
	if e.cfg.DebugLog != nil {
		e.cfg.DebugLog.Printf(format, args...)
	}
}

// debugEvent logs a receiver event and its verdict: its kind, type and code, whether it verified
// and why not. Never its body: a SESSION_FINISHED carries public tokens.
func (e *Env) debugEvent(ev webhook.Event) {
	if e.cfg.DebugLog == nil {
		return
	}
	switch ev.Kind {
	case webhook.EventWebhook:
		verdict := "verified"
		if !ev.Verified {
			verdict = "NOT verified: " + ev.Reason
		}
		if ev.Duplicate {
			verdict += " (duplicate)"
		}
		typ, code, status := "", "", ""
		if w := ev.Webhook; w != nil {
			typ, code, status = w.WebhookType, w.WebhookCode, w.Status
		}
		// The type, code and status are the sender's (an unsigned webhook's too): quoted when odd.
		e.debugf("webhook #%d %s/%s status=%q -> HTTP %d, %s", ev.Seq, quoteUnlessPlain(typ), quoteUnlessPlain(code), status, ev.Status, verdict)
	case webhook.EventRejected:
		e.debugf("webhook #%d refused -> HTTP %d: %s", ev.Seq, ev.Status, ev.Reason)
	case webhook.EventComplete:
		e.debugf("receiver #%d: the completion page was opened", ev.Seq)
	case webhook.EventForward:
		if f := ev.Forward; f != nil {
			e.debugf("forward of webhook #%d to %s -> %d in %s %s", f.Seq, f.URL, f.StatusCode, f.Latency.Round(time.Millisecond), f.Err)
		}
	}
}
