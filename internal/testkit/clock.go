package testkit

import (
	"sort"
	"sync"
	"time"
)

// Clock is a fake clock (env.Clock): its time moves only by Advance, and After fires when it has.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	armed   chan struct{} // a signal each time After is called
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewClock is a Clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t, armed: make(chan struct{}, 1)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After fires once the clock has moved d on.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	at := c.now.Add(d)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: at, ch: ch})
	select {
	case c.armed <- struct{}{}:
	default:
	}
	return ch
}

// Advance moves the clock d on, firing every After due by then, earliest first.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	sort.SliceStable(c.waiters, func(i, j int) bool { return c.waiters[i].at.Before(c.waiters[j].at) })
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			keep = append(keep, w)
			continue
		}
		w.ch <- w.at
	}
	c.waiters = keep
}

// Pending is how many Afters have not fired yet.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}
