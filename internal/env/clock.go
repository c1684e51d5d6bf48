package env

import (
	"net/http"
	"sync"
	"time"

	"github.com/bankdown/linkrecovery/flows"
)

// clockCheck is the Plaid client's transport: it compares the Date header of Plaid's first answer
// with the local clock. Date has one-second resolution, and the request's own time is allowed for
// by comparing with the midpoint of sending and receiving.
type clockCheck struct {
	next http.RoundTripper
	now  func() time.Time

	mu      sync.Mutex
	checked bool
	skew    time.Duration // Plaid's clock minus ours: positive when ours is behind
}

// RoundTrip implements http.RoundTripper.
func (c *clockCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	sent := c.now()
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.checked {
		return resp, nil
	}
	// Any answer carries a Date, errors included; one without a parseable Date (a proxy's, say)
	// waits for the next.
	if d, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
		got := c.now()
		mid := sent.Add(got.Sub(sent) / 2)
		c.skew, c.checked = d.Sub(mid).Round(time.Second), true
	}
	return resp, nil
}

// CloseIdleConnections passes on to the wrapped transport, so Env.Close still drops them.
func (c *clockCheck) CloseIdleConnections() {
	if ci, ok := c.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// ClockSkew is Plaid's clock minus the local one, from the Date of Plaid's first answer; ok is
// false until Plaid has answered once.
func (e *Env) ClockSkew() (skew time.Duration, ok bool) {
	if e == nil || e.clock == nil {
		return 0, false
	}
	e.clock.mu.Lock()
	defer e.clock.mu.Unlock()
	return e.clock.skew, e.clock.checked
}

// ClockWarning is a warning naming the skew when the local clock is more than flows.MaxClockSkew away
// from Plaid's, else "". It is known after the first Plaid call (creating the first link token).
func (e *Env) ClockWarning() string {
	skew, ok := e.ClockSkew()
	if !ok {
		return ""
	}
	return flows.ClockWarning(skew)
}

// Clock is the time the drivers stamp inputs with and deadlines run on: the wall clock, or a
// test's (internal/testkit.Clock).
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Now is the Env's clock.
func (e *Env) Now() time.Time { return e.clockOf().Now() }

func (e *Env) clockOf() Clock {
	if e == nil || e.cfg.Clock == nil {
		return wallClock{}
	}
	return e.cfg.Clock
}
