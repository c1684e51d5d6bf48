package emulator

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The emulator's clock is the real clock (Config.Now, or time.Now) plus an offset that only Advance
// moves. Everything Plaid times runs on it: token and URL lifetimes, an abandoned session's EVENTS,
// webhook retries, the sweep. What a receiver checks against its own clock stays on the real one:
// a webhook's iat and the signing keys' created_at and expired_at.
//
// Work that falls due later (a retry, an abandoned session's EVENTS) is a task. With the real clock
// a background runner wakes for the next one; with a Config.Now clock, which only the test moves,
// tasks run when Advance reaches them or when a request or Advance finds them already due, never
// on a wall-clock timer.

// task is work that falls due at a time on the emulator's clock. run is called once, without e.mu.
type task struct {
	due       time.Time
	seq       uint64 // orders tasks due at the same time by when they were scheduled
	run       func()
	cancelled bool // guarded by e.mu
}

// MaxAdvance bounds one Advance: a year covers every lifetime and retry window the emulator has,
// and keeps a mistyped value from overflowing the clock.
const MaxAdvance = 366 * 24 * time.Hour

// Now returns the emulator's time: the real clock moved on by every Advance so far.
func (e *Emulator) Now() time.Time { return e.now() }

// realNow is the clock receivers compare against their own: Config.Now or time.Now, never advanced.
func (e *Emulator) realNow() time.Time { return e.base() }

// Advance moves the emulator's clock forward by d (at most MaxAdvance; a negative d moves nothing)
// and returns the new time. It steps through the work that falls due on the way, in order, each at
// its own time: a retry due 30 s after a failed attempt is sent with the clock at exactly that
// moment, and one Advance of an hour sends every retry that falls within it. It returns once that
// work has run, and every webhook queued so far has made its first attempt (each attempt has had
// its answer or timed out), so Advance(0) waits for the webhooks in flight. Do not call it from a
// webhook handler of this emulator: it would wait for that handler's own answer.
// HTTP: POST /emulator/clock {"advance_seconds": N}.
func (e *Emulator) Advance(d time.Duration) time.Time {
	e.advanceMu.Lock()
	defer e.advanceMu.Unlock()
	d = min(max(d, 0), MaxAdvance)
	target := e.now().Add(d)
	for {
		// Webhooks queued so far make their first attempts before the clock moves on: a failed one
		// then has its retry planned from the right moment.
		e.mu.Lock()
		e.waitQueuesLocked()
		e.mu.Unlock()
		t := e.popDue(target)
		if t == nil {
			break
		}
		if gap := t.due.Sub(e.now()); gap > 0 {
			e.offset.Add(int64(gap))
		}
		t.run()
	}
	if gap := target.Sub(e.now()); gap > 0 {
		e.offset.Add(int64(gap))
	}
	e.mu.Lock()
	e.waitQueuesLocked()
	e.mu.Unlock()
	if d > 0 {
		e.logf("emulator clock advanced by %s to %s", d, e.now().UTC().Format(time.RFC3339))
	}
	e.poke()
	return e.now()
}

// scheduleLocked adds a task due at due. The caller holds e.mu.
func (e *Emulator) scheduleLocked(due time.Time, run func()) *task {
	e.taskSeq++
	t := &task{due: due, seq: e.taskSeq, run: run}
	e.tasks = append(e.tasks, t)
	e.poke()
	return t
}

// cancelLocked stops a task that has not run. The caller holds e.mu.
func (*Emulator) cancelLocked(t *task) {
	if t != nil {
		t.cancelled = true
	}
}

// popDue removes and returns the earliest task due at or before until, or nil. Cancelled tasks
// are dropped on the way. After Close nothing is due.
func (e *Emulator) popDue(until time.Time) *task {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	best := -1
	kept := e.tasks[:0]
	for _, t := range e.tasks {
		if t.cancelled {
			continue
		}
		kept = append(kept, t)
		if t.due.After(until) {
			continue
		}
		if best < 0 || t.due.Before(kept[best].due) || t.due.Equal(kept[best].due) && t.seq < kept[best].seq {
			best = len(kept) - 1
		}
	}
	clear(e.tasks[len(kept):])
	e.tasks = kept
	if best < 0 {
		return nil
	}
	t := e.tasks[best]
	e.tasks = append(e.tasks[:best], e.tasks[best+1:]...)
	return t
}

// nextDue is when the earliest pending task falls due, and whether there is one.
func (e *Emulator) nextDue() (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var next time.Time
	ok := false
	for _, t := range e.tasks {
		if !t.cancelled && (!ok || t.due.Before(next)) {
			next, ok = t.due, true
		}
	}
	return next, ok
}

// poke wakes the runner to look at the tasks again.
func (e *Emulator) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// runTasks is the background runner: it starts every task that is due, each on its own goroutine,
// then sleeps until the next one is due (real clock only), a poke, or Close.
func (e *Emulator) runTasks() {
	defer e.wg.Done()
	for {
		for t := e.popDue(e.now()); t != nil; t = e.popDue(e.now()) {
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				t.run()
			}()
		}
		var timer *time.Timer
		var fire <-chan time.Time
		if next, ok := e.nextDue(); ok && !e.manual {
			timer = time.NewTimer(next.Sub(e.now()))
			fire = timer.C
		}
		select {
		case <-e.ctx.Done():
		case <-e.wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if e.ctx.Err() != nil {
			return
		}
	}
}

// expired says whether something that lives until at has expired at now: at its expiry time it is
// already gone ("valid for N seconds").
func expired(now, at time.Time) bool { return !now.Before(at) }

// Expire ends one link token, Hosted Link URL or public token now, as if its lifetime had run out:
// what follows is what Plaid answers for an expired one (the expired page for a Hosted Link URL,
// INVALID_LINK_TOKEN from /link/token/get, INVALID_PUBLIC_TOKEN from /item/public_token/exchange).
// A link token with Hosted Link expires with its first URL, and that URL with it, as Plaid ties
// them; a recovery e-mail's URL has a lifetime of its own, so expire it by its URL.
// HTTP: POST /emulator/expire {"token": "..."}.
func (e *Emulator) Expire(token string) (kind string, err error) {
	token = strings.TrimSpace(token)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	if lt := e.linkTokens[token]; lt != nil {
		lt.ExpiresAt = now
		if h := e.hosted[lt.HostedID]; h != nil {
			h.ExpiresAt = now
		}
		e.logf("link token %s expired now (Expire)", mask(token))
		return "link_token", nil
	}
	if pt := e.publicTokens[token]; pt != nil {
		pt.ExpiresAt = now
		e.logf("public token %s expired now (Expire)", mask(token))
		return "public_token", nil
	}
	id := token
	if u, perr := url.Parse(token); perr == nil && strings.HasPrefix(u.Path, "/hosted-link/") {
		id = strings.TrimPrefix(u.Path, "/hosted-link/")
	}
	if h := e.hosted[id]; h != nil {
		h.ExpiresAt = now
		if !h.Recovery {
			h.Token.ExpiresAt = now
		}
		e.logf("Hosted Link URL …/hosted-link/%s expired now (Expire)", id)
		return "hosted_link_url", nil
	}
	return "", fmt.Errorf("emulator: %q is not a link token, Hosted Link URL or public token this emulator issued (or it was forgotten an hour after it expired)", mask(token))
}
