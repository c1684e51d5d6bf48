package env

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// maxPlaidAnswer caps what is read of one Plaid answer, after decompression: Plaid's answers to
// the calls this tool makes are a few KiB, so 8 MiB is far above any real one, and a hostile or
// broken server (a 300 MiB answer, a small gzip bomb) cannot take the process's memory with it.
const maxPlaidAnswer = 8 << 20

// plaidGuard is the innermost link of the Plaid client's transport chain, above net/http's
// Transport (which has already undone any gzip): it refuses a redirect and caps the answer.
//
// Plaid's API never redirects, and net/http would follow one with PLAID-SECRET and
// PLAID-CLIENT-ID still on the request, to a host the PLAID_BASE_URL rule never saw. So a 3xx is
// an error naming the endpoint, and nothing is sent anywhere else.
type plaidGuard struct{ next http.RoundTripper }

// RoundTrip is http.RoundTripper.
func (g plaidGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		resp.Body.Close()
		to := ""
		if u, err := url.Parse(resp.Header.Get("Location")); err == nil && u.Host != "" {
			to = " to " + u.Host
		}
		return nil, &AnswerError{Endpoint: req.URL.Path, Cause: fmt.Sprintf(
			"the answer was a redirect (HTTP %d%s), and Plaid's API never redirects: it was not followed, so the keys went nowhere else", resp.StatusCode, to)}
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: maxPlaidAnswer, endpoint: req.URL.Path}
	return resp, nil
}

// CloseIdleConnections passes on to net/http's Transport (Env.Close drops them).
func (g plaidGuard) CloseIdleConnections() {
	if ci, ok := g.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// cappedBody reads at most left bytes of an answer, then fails with an *AnswerError.
type cappedBody struct {
	io.ReadCloser
	left     int64
	endpoint string
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more says whether the answer really goes on past the cap.
		var one [1]byte
		if n, _ := io.ReadFull(b.ReadCloser, one[:]); n == 0 {
			return 0, io.EOF
		}
		return 0, &AnswerError{Endpoint: b.endpoint, Cause: fmt.Sprintf(
			"the answer is larger than %d MiB, far more than any Plaid answer: it was not read further", maxPlaidAnswer>>20)}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// AnswerError is an answer to a Plaid call refused before plaid-go read it: a redirect, or one
// larger than maxPlaidAnswer.
type AnswerError struct {
	Endpoint string // the call's path, e.g. /link/token/create
	Cause    string
}

func (e *AnswerError) Error() string { return e.Endpoint + ": " + e.Cause }
