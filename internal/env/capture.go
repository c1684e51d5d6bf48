package env

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/bankdown/linkrecovery/flows"
)

// The Plaid calls an effect makes are captured on their way (method, path, status, duration,
// request_id and both bodies, masked and bounded by flows.MaskBody), so that each becomes a
// flows.PlaidCall event: the presenter view and the report show what was really sent and answered.

// callLog collects the calls made with one context.
type callLog struct {
	mu    sync.Mutex
	calls []flows.PlaidCall
}

type callLogKey struct{}

// withCallLog is ctx with a log that the capture transport fills.
func withCallLog(ctx context.Context) (context.Context, *callLog) {
	l := &callLog{}
	return context.WithValue(ctx, callLogKey{}, l), l
}

func (l *callLog) add(c flows.PlaidCall) {
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}

func (l *callLog) taken() []flows.PlaidCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]flows.PlaidCall(nil), l.calls...)
}

// captureTransport records each call whose context carries a callLog; others pass untouched.
type captureTransport struct{ next http.RoundTripper }

// maxCapture bounds how much of a body is read ahead to be captured (what is not read still
// reaches plaid-go untouched).
const maxCapture = 1 << 20

// RoundTrip implements http.RoundTripper.
func (t captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	log, _ := req.Context().Value(callLogKey{}).(*callLog)
	if log == nil {
		return t.next.RoundTrip(req)
	}
	call := flows.PlaidCall{Method: req.Method, Endpoint: req.URL.Path, Request: flows.MaskBody(requestBody(req))}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	call.Took = time.Since(start)
	if err != nil {
		call.Err = err.Error()
		log.add(call)
		return resp, err
	}
	call.Status = resp.StatusCode
	if resp.Body != nil {
		head, rerr := io.ReadAll(io.LimitReader(resp.Body, maxCapture))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
		if rerr == nil {
			call.Response = flows.MaskBody(head)
			var b struct {
				RequestID string `json:"request_id"`
			}
			if json.Unmarshal(head, &b) == nil {
				call.RequestID = b.RequestID
			}
		}
	}
	log.add(call)
	return resp, nil
}

// CloseIdleConnections passes on to the wrapped transport, so Env.Close still drops them.
func (t captureTransport) CloseIdleConnections() {
	if ci, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// requestBody is a copy of the request's body, leaving the request as it was.
func requestBody(req *http.Request) []byte {
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			defer rc.Close()
			b, _ := io.ReadAll(io.LimitReader(rc, maxCapture))
			return b
		}
	}
	if req.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(req.Body, maxCapture))
	req.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), req.Body), req.Body}
	return b
}
