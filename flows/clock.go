package flows

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// MaxClockSkew is how far the local clock may be from Plaid's before the app warns. The webhook
// verifier allows one minute of future iat, and Plaid stops retrying an endpoint that refuses most
// webhooks, so a drifting VM or WSL clock must be caught before the first webhook, not after.
const MaxClockSkew = 30 * time.Second

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

// ClockWarning is a warning naming the skew when the local clock is more than MaxClockSkew away
// from Plaid's, else "". It is known after the first Plaid call (creating the first link token).
func (e *Env) ClockWarning() string {
	skew, ok := e.ClockSkew()
	if !ok {
		return ""
	}
	return clockWarning(skew)
}

func clockWarning(skew time.Duration) string {
	switch {
	case skew > MaxClockSkew:
		return fmt.Sprintf("your clock is %s behind Plaid's: its webhooks will look issued in the future and be refused; sync the clock (NTP; on WSL run `wsl --shutdown`)", skew)
	case skew < -MaxClockSkew:
		return fmt.Sprintf("your clock is %s ahead of Plaid's: its webhooks will look older than they are (the verifier refuses any over 5 min old); sync the clock (NTP; on WSL run `wsl --shutdown`)", -skew)
	}
	return ""
}
