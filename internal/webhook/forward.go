package webhook

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/bankdown/linkrecovery/internal/positive"
)

// Relaying (--forward-to) is bounded so that neither a slow target nor a flood can hurt anything
// else: verified webhooks and (with ForwardUnverified) the others travel in separate lanes, each
// with its own few workers and a short queue, so a slow answer to forged webhooks never delays a
// genuine one; a webhook that finds its lane's queue full is dropped and the drop is reported;
// each relay has a timeout; and at exit the relays still queued or in flight get a bounded time to
// finish, and their results are reported (Receiver.FinishForwards).
const (
	forwardWorkers           = 4  // concurrent relays of verified webhooks
	forwardQueue             = 32 // verified webhooks waiting for a worker
	forwardUnverifiedWorkers = 2  // concurrent relays of the others (ForwardUnverified)
	forwardUnverifiedQueue   = 8

	// DefaultForwardTimeout bounds one relay (Plaid itself waits 10 s for a webhook's answer).
	DefaultForwardTimeout = 10 * time.Second
	// DefaultForwardDrain is how long relays still queued or in flight may take to finish at exit.
	DefaultForwardDrain = 5 * time.Second
)

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
	url     string
	shown   string // url with any password masked: it goes into events and onto the screen
	bad     error  // ValidateForwardURL's verdict; every relay reports it
	client  *http.Client
	timeout time.Duration

	verified   chan forwardJob // lane for verified webhooks
	unverified chan forwardJob // lane for the others, only with ForwardUnverified
	stopping   bool            // no new relays are admitted (guarded by Receiver.mu)
	// admitted counts webhooks between admission and their relay being queued; the lanes close
	// only once it is zero, so a webhook a reader has seen always gets its relay's result.
	admitted sync.WaitGroup
	stopped  chan struct{} // closed once relaying has stopped and every relay has its result
}

// forwardJob is one webhook waiting to be relayed.
type forwardJob struct {
	res          *ForwardResult
	body         []byte
	verification string
}

func newForwarder(target string, c *http.Client, timeout time.Duration) *forwarder {
	if c == nil {
		c = &http.Client{
			// The developer's app answering with a redirect is worth reporting as is, not following.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	timeout = positive.Or(timeout, DefaultForwardTimeout)
	shown := target
	if u, err := url.Parse(target); err == nil {
		shown = u.Redacted()
	}
	return &forwarder{url: target, shown: shown, bad: ValidateForwardURL(target), client: c, timeout: timeout,
		verified: make(chan forwardJob, forwardQueue), unverified: make(chan forwardJob, forwardUnverifiedQueue), stopped: make(chan struct{})}
}

// startForwarding starts each lane's workers; they run until the lanes are closed (stopForwards).
func (r *Receiver) startForwarding() {
	for _, lane := range []struct {
		q chan forwardJob
		n int
	}{{r.fwd.verified, forwardWorkers}, {r.fwd.unverified, forwardUnverifiedWorkers}} {
		for range lane.n {
			r.fwdWG.Add(1)
			go func() {
				defer r.fwdWG.Done()
				for j := range lane.q {
					r.doForward(j.res, j.body, j.verification)
					r.emitForward(Event{Kind: EventForward, Forward: j.res, Status: j.res.StatusCode, Reason: j.res.Err})
				}
			}()
		}
	}
}

// admitRelay reserves a relay for a webhook before it is emitted, so that a reader who has seen
// the webhook and then calls FinishForwards gets that relay's result; false once relaying has
// stopped. An admitted webhook must then go to forward.
func (r *Receiver) admitRelay() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fwd.stopping {
		return false
	}
	r.fwd.admitted.Add(1)
	return true
}

// forward queues ev, with its whole body, for relaying and returns at once: the webhook's answer never waits on the
// target. A webhook that is not verified is not relayed (unless ForwardUnverified) and says so;
// one that was not admitted (relaying had stopped) is not relayed either.
func (r *Receiver) forward(ev Event, body []byte, verification string, admitted bool) {
	if admitted {
		defer r.fwd.admitted.Done()
	}
	res := &ForwardResult{Seq: ev.Seq, URL: r.fwd.shown}
	skip := func(why string) {
		res.Skipped, res.Err = true, why
		r.emitForward(Event{Kind: EventForward, Forward: res, Reason: res.Err})
	}
	lane := r.fwd.verified
	if !ev.Verified {
		if !r.cfg.ForwardUnverified {
			reason := ev.Reason
			if reason == "" {
				reason = "no reason given"
			}
			skip("not relayed: the webhook is not verified (" + reason + "); --forward-unverified relays everything")
			return
		}
		lane = r.fwd.unverified
	}
	if r.fwd.bad != nil {
		res.Err = r.fwd.bad.Error()
		r.emitForward(Event{Kind: EventForward, Forward: res, Reason: res.Err})
		return
	}
	if !admitted {
		skip("not relayed: linkrecovery is exiting")
		return
	}
	// The lanes are open: stopForwards closes them only once every admitted webhook is here.
	select {
	case lane <- forwardJob{res: res, body: body, verification: verification}:
	default:
		skip(fmt.Sprintf("not relayed: too many relays still waiting on %s (it is slow or not answering)", r.fwd.shown))
	}
}

// maxUnread bounds the relay results kept for FinishForwards (Receiver.unread): enough for every
// relay that can be queued or in flight many times over, and a few hundred KiB at most when a
// flood meets a reader that has stopped.
const maxUnread = 4096

// emitForward emits a relay's result. One that Events had no room for, or that came once relaying
// stopped, is also kept for FinishForwards, so that every relay is recorded by a reader that is
// slow or has stopped reading.
func (r *Receiver) emitForward(ev Event) {
	ev, sent := r.emit(context.Background(), ev)
	r.mu.Lock()
	if (!sent || r.fwd.stopping) && len(r.unread) < maxUnread {
		r.unread = append(r.unread, ev)
	}
	r.mu.Unlock()
}

// FinishForwards is for the last reader of Events, as it stops reading (a run that ends): it stops
// relaying new webhooks, waits up to timeout (DefaultForwardDrain if 0) for the relays still
// queued or in flight, cancels those that have not finished by then (each then ends "cancelled"),
// and returns every relay result that reader has not had, in order, each once: those still waiting
// on Events (taken off it, with whatever else waits there), those Events had no room for, and
// those that came while it waited. Each relay thus ends with one result. Only the first call waits;
// Close stops relaying the same way but leaves Events to its reader.
func (r *Receiver) FinishForwards(timeout time.Duration) []Event {
	if r.fwd == nil {
		return nil
	}
	r.stopForwards(timeout)
	seen := map[int64]bool{}
	var out []Event
	take := func(ev Event) {
		if ev.Kind == EventForward && !seen[ev.Seq] {
			seen[ev.Seq] = true
			out = append(out, ev)
		}
	}
	r.sendMu.RLock()
	for open := !r.closed; open; {
		select {
		case ev, ok := <-r.events:
			if ok {
				take(ev)
			}
			open = ok
		default:
			open = false
		}
	}
	r.sendMu.RUnlock()
	r.mu.Lock()
	for _, ev := range r.unread {
		take(ev)
	}
	r.unread = nil
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Event) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// stopForwards stops relaying new webhooks and waits up to timeout (DefaultForwardDrain if 0) for
// the relays still queued or in flight; those that have not finished by then are cancelled, and
// it returns once every relay has its result. A later call waits for the first one's end.
func (r *Receiver) stopForwards(timeout time.Duration) {
	if r.fwd == nil {
		return
	}
	timeout = positive.Or(timeout, DefaultForwardDrain)
	r.mu.Lock()
	first := !r.fwd.stopping
	r.fwd.stopping = true
	r.mu.Unlock()
	if !first {
		<-r.fwd.stopped
		return
	}
	defer close(r.fwd.stopped)
	r.fwd.admitted.Wait() // brief: an admitted webhook is only being emitted (at most SendWait)
	close(r.fwd.verified)
	close(r.fwd.unverified)
	idle := make(chan struct{})
	go func() { r.fwdWG.Wait(); close(idle) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
		// Cancelling makes the relays in flight and those still queued fail at once, each
		// reported as cancelled.
		r.fwdCancel()
		<-idle
	}
}

func (r *Receiver) doForward(res *ForwardResult, body []byte, verification string) {
	ctx, cancel := context.WithTimeout(r.fwdCtx, r.fwd.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.fwd.url, bytes.NewReader(body))
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
		if r.fwdCtx.Err() != nil {
			res.Err = "cancelled: linkrecovery exited before your app answered"
		}
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
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out waiting for your app"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
