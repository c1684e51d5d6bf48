package flows

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

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
	t.log.Printf("plaid %s %s -> %d request_id=%s in %s", req.Method, req.URL.Path, resp.StatusCode, peekRequestID(resp), took)
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
		e.debugf("webhook #%d %s/%s status=%q -> HTTP %d, %s", ev.Seq, typ, code, status, ev.Status, verdict)
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
