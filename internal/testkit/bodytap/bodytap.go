// Package bodytap hands tests every HTTP response body as it came off the wire, and leaves the body
// in place for the client, so a test can hold the bytes to Plaid's spec and not only what plaid-go
// decoded. It imports only the standard library, so that any package's tests (the emulator's too)
// can use it.
package bodytap

import (
	"bytes"
	"io"
	"net/http"
)

// Transport is an http.RoundTripper that reads each response body in full, gives it to Seen and
// then to the caller.
type Transport struct {
	Next http.RoundTripper // nil: http.DefaultTransport
	Seen func(req *http.Request, resp *http.Response, body []byte)
}

func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	next := t.Next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if t.Seen != nil {
		t.Seen(req, resp, body)
	}
	return resp, nil
}
