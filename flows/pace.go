package flows

import "time"

// Step by step (the presenter view): with Paced{On: true} a demo walk goes one Hosted Link page at
// a time (WalkPage) and, before each page, and before the sign-up's bank comes back, the run
// pauses (a Paused event) until IntentNext. Each page submitted is a PageSubmitted event. The first
// walk asked for while paced (the a key) also drives the rest of the half by itself, as --auto
// does, pausing the same way. Without pacing, walks are one Walk as before.

// Page is a Hosted Link page as the emulator names it (its data-step).
type Page string

// The pages of a Hosted Link session.
const (
	PageSelect   Page = "select"   // choose the bank
	PageLogin    Page = "login"    // log in
	PageAccounts Page = "accounts" // choose the accounts to share
	PageDown     Page = "down"     // the bank is down: the Link Recovery opt-in asks for an e-mail
	PageCode     Page = "code"     // the code sent to that e-mail
	PageSuccess  Page = "success"  // connected: the session ends with an Item
	PageFollowed Page = "followed" // opted in: the session ends EXITED, the e-mail comes later
	PageExited   Page = "exited"   // left Link without an Item
)

// PageStep is one page submitted: from which page to which, and whether the session ended.
type PageStep struct {
	From, To Page
	Ended    bool
}

// Pacing is a run's step by step, while the presenter view is on.
type Pacing struct {
	On bool
	// Driving: a walk was asked for while paced, so the half goes on by itself (bringing the bank
	// back, walking the recovery session), pausing before each step.
	Driving bool
	// Walk is the walk under way page by page (nil: none); Next its next page.
	Walk *Walk
	Next Page
	// Restore: the next step is bringing the bank back.
	Restore bool
	// Paused: the run waits for IntentNext before Next (or the restore).
	Paused bool
}

// Paced turns step by step on or off. Turned off during a walk, the walk goes on at once, page
// after page, as an unpaced walk would.
type Paced struct{ On bool }

// PageWalked is WalkPage's answer: the page the emulator submitted.
type PageWalked struct {
	Step     PageStep
	Recovery bool
}

// WalkPage asks the emulator to submit the current page of a Hosted Link session (demo mode).
type WalkPage struct{ Walk Walk }

// Paused: the run waits for the person (IntentNext) before its next step: Hosted Link page Next of
// the session (the recovery e-mail's with Recovery), or, with Restore, bringing the bank back.
type Paused struct {
	Next     Page
	Recovery bool
	Restore  bool
}

// PageSubmitted: the emulator submitted one Hosted Link page, as the person would.
type PageSubmitted struct {
	Step     PageStep
	Recovery bool
}

func (Paced) isInput()         {}
func (PageWalked) isInput()    {}
func (Paused) isFact()         {}
func (PageSubmitted) isFact()  {}
func (WalkPage) Call() Call    { return CallWalk }
func (p Pacing) walking() bool { return p.Walk != nil || p.Restore }

// Autopilot says whether the run goes on by itself between steps: --auto, or a walk asked for
// while paced.
func (s State) Autopilot() bool { return s.Opts.Auto || s.Pacing.Driving }

// paced takes Paced: on, the next walk is paced; off, a paused step is performed at once.
func (c *Ctx) paced(on bool) {
	p := &c.s.Pacing
	p.On = on
	if !on {
		p.Driving = false
		if p.Paused {
			c.next()
		}
	}
}

// firstPage is where a walk begins: the recovery e-mail names the bank, so its session starts at
// the login.
func firstPage(w Walk) Page {
	if w.Recovery {
		return PageLogin
	}
	return PageSelect
}

// pace begins walk w page by page, paused before its first page.
func (c *Ctx) pace(w Walk) {
	p := &c.s.Pacing
	p.Walk, p.Next = &w, firstPage(w)
	c.pause()
}

func (c *Ctx) pause() {
	p := &c.s.Pacing
	if !p.On {
		c.next() // pacing was turned off: go on at once
		return
	}
	p.Paused = true
	if p.Restore {
		c.Emit(Paused{Restore: true})
		return
	}
	c.Emit(Paused{Next: p.Next, Recovery: p.Walk != nil && p.Walk.Recovery})
}

// next performs the step the run paused before.
func (c *Ctx) next() {
	s := c.s
	p := &s.Pacing
	p.Paused = false
	switch {
	case p.Restore:
		p.Restore = false
		c.Restore()
	case p.Walk != nil:
		s.Busy.Walking = c.at
		c.do(WalkPage{Walk: *p.Walk})
	}
}

// pageWalked takes one page submitted: the walk pauses before the next page, or is over.
func (c *Ctx) pageWalked(in PageWalked) {
	s := c.s
	p := &s.Pacing
	if p.Walk == nil {
		return // a stale answer (a new token since)
	}
	s.Busy.Walking, s.lastCallErr = time.Time{}, ""
	c.Emit(PageSubmitted{Step: in.Step, Recovery: in.Recovery})
	if !in.Step.Ended {
		p.Next = in.Step.To
		c.pause()
		return
	}
	p.Walk = nil
	s.sc.Walked(c, in.Recovery)
}

// AutoRestore brings the bank back as the autopilot does: paced, after a pause.
func (c *Ctx) AutoRestore() {
	s := c.s
	if !s.Busy.Restoring.IsZero() || s.Pacing.walking() {
		return
	}
	if s.Pacing.On {
		s.Pacing.Restore, s.Pacing.Next = true, ""
		c.pause()
		return
	}
	c.Restore()
}
