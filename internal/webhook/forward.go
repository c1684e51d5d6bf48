package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"
)

// maxForwardsInFlight bounds concurrent relays: a dead or slow target must not pile up goroutines.
const maxForwardsInFlight = 16

// ValidateForwardURL checks a --forward-to value before the receiver starts.
func ValidateForwardURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		shown := s
		if err == nil {
			shown = u.Redacted()
		}
		return fmt.Errorf("--forward-to %q is not an absolute http(s) URL; use e.g. http://localhost:3000/plaid/webhook", shown)
	}
	return nil
}

type forwarder struct {
	url    string
	shown  string // url with any password masked: it goes into events and onto the screen
	bad    error  // ValidateForwardURL's verdict; every relay reports it
	client *http.Client
	sem    chan struct{}
}

func newForwarder(target string, c *http.Client) *forwarder {
	if c == nil {
		c = &http.Client{
			Timeout: 10 * time.Second,
			// The developer's app answering with a redirect is worth reporting as is, not following.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	shown := target
	if u, err := url.Parse(target); err == nil {
		shown = u.Redacted()
	}
	return &forwarder{url: target, shown: shown, bad: ValidateForwardURL(target), client: c, sem: make(chan struct{}, maxForwardsInFlight)}
}

// forward relays ev's body and Plaid-Verification header in the background and reports the target's
// answer as an EventForward. It never blocks the webhook's response.
func (r *Receiver) forward(ev Event, verification string) {
	res := &ForwardResult{Seq: ev.Seq, URL: r.fwd.shown}
	if r.fwd.bad != nil {
		res.Err = r.fwd.bad.Error()
		r.emit(context.Background(), Event{Kind: EventForward, Forward: res, Reason: res.Err})
		return
	}
	select {
	case r.fwd.sem <- struct{}{}:
	default:
		res.Err = "not relayed: too many forwards still waiting on the target"
		r.emit(context.Background(), Event{Kind: EventForward, Forward: res, Reason: res.Err})
		return
	}
	r.mu.Lock()
	if r.stopping {
		r.mu.Unlock()
		<-r.fwd.sem
		return
	}
	r.fwdWG.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.fwdWG.Done()
		defer func() { <-r.fwd.sem }()
		r.doForward(res, ev.Body, verification)
		ev := Event{Kind: EventForward, Forward: res, Status: res.StatusCode, Reason: res.Err}
		r.emit(r.fwdCtx, ev)
	}()
}

func (r *Receiver) doForward(res *ForwardResult, body []byte, verification string) {
	req, err := http.NewRequestWithContext(r.fwdCtx, http.MethodPost, r.fwd.url, bytes.NewReader(body))
	if err != nil {
		res.Err = "cannot build request: " + err.Error()
		return
	}
	req.Header.Set("Content-Type", "application/json")
	if verification != "" {
		req.Header.Set("Plaid-Verification", verification)
	}
	req.Header.Set("User-Agent", "linkrecovery-forward/1")
	req.Header.Set(ForwardedHeader, "1")
	start := time.Now()
	resp, err := r.fwd.client.Do(req)
	res.Latency = time.Since(start)
	if err != nil {
		res.Err = forwardErrText(err)
		return
	}
	// Drain a little so the connection can be reused; the target's body is not ours to show.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	res.StatusCode = resp.StatusCode
}

// forwardErrText says in plain words why the developer's app did not answer.
func forwardErrText(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: is your app running and listening there?"
	case errors.Is(err, context.Canceled):
		return "cancelled: the receiver is stopping"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out waiting for your app"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
