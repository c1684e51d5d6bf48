package flows

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// MaxClockSkew is how far the local clock may be from Plaid's before the run warns. The webhook
// verifier allows one minute of future iat, and Plaid stops retrying an endpoint that refuses most
// webhooks, so a drifting VM or WSL clock must be caught before the first webhook, not after.
const MaxClockSkew = 30 * time.Second

// Step takes one input, which happened at at, and returns the run after it, the effects to perform
// (in order) and the facts it established. It does no I/O, reads no clock and leaves s as it was.
func Step(s State, at time.Time, in Input) (State, []Effect, []Event) {
	c := &Ctx{s: &s, at: at}
	c.step(in)
	return s, c.effects, c.events
}

func (c *Ctx) step(in Input) {
	s := c.s
	// The calls an answer made, the tunnel and Start count whether or not the run is done.
	switch in := in.(type) {
	case Answered:
		for _, call := range in.Calls {
			c.Emit(call)
		}
		if in.Input != nil {
			c.step(in.Input)
		}
		return
	case Start:
		c.start()
		return
	case TunnelUp:
		s.Tunnel = Tunnel{Settled: true, Up: true, WebhookURL: in.WebhookURL, Provider: in.Provider,
			TokenSource: in.TokenSource, FreePlan: in.FreePlan}
		c.createIfWaiting()
		return
	case TunnelDown:
		err := in.Err
		if err == nil {
			err = errors.New("the tunnel is not open")
		}
		s.Tunnel = Tunnel{Settled: true, Err: err}
		c.createIfWaiting()
		return
	case Paced:
		c.paced(in.On)
		return
	case Visible:
		s.visible = in.On
		if in.On {
			c.pollLater()
		}
		return
	}
	if s.Done() || s.Phase == PhaseIdle {
		// A finished run only reports what still arrives (webhooks), for the record.
		if in, ok := in.(Received); ok {
			c.received(in.Event, false)
		}
		return
	}
	switch in := in.(type) {
	case TokenCreated:
		c.tokenCreated(in)
	case Polled:
		if !s.HasToken() || in.Token != s.Token.Token {
			return // about an older token
		}
		s.polling = false
		s.noAnswerSince, s.serverErrSince, s.rateLimited, s.lastCallErr = time.Time{}, time.Time{}, 0, ""
		c.polled(in.Status)
		c.pollLater()
	case Received:
		c.received(in.Event, true)
	case ReceiverStopped:
		if s.receiverGone {
			return
		}
		s.receiverGone = true
		c.Emit(ReceiverGone{})
		if s.HasToken() && s.Wait.Waiting() {
			c.fallBack(FallbackReceiverStopped)
		}
	case DeadlinePassed:
		if !s.HasToken() || in.Token != s.Token.Token {
			return
		}
		switch in.Timer {
		case TimerPoll:
			s.pollDue = false
			c.PollNow()
		case TimerWebhook:
			if s.Wait.Waiting() && s.Wait.WebhookSeq == 0 {
				c.fallBack(FallbackTimeout)
			}
		default:
			s.sc.Deadline(c, in.Timer)
		}
	case Exchanged:
		c.exchanged(in.Item)
	case Walked:
		s.Busy.Walking, s.lastCallErr = time.Time{}, ""
		s.sc.Walked(c, in.Recovery)
	case PageWalked:
		c.pageWalked(in)
	case Restored:
		s.Busy.Restoring = time.Time{}
		s.sc.Restored(c, in.Sent, in.Inbox)
	case CallFailed:
		c.callFailed(in.Call, in.Err)
	case Intent:
		switch {
		case in.Kind == IntentNext:
			if s.Pacing.Paused {
				c.next()
			}
		case in.Kind != IntentWalk:
			s.sc.Intent(c, in.Kind)
		case s.CanWalk():
			if s.Pacing.On {
				s.Pacing.Driving = true // the rest of the half goes on by itself, pausing
			}
			w, _ := s.sc.WalkNow(*s)
			c.Walk(w)
		}
	case Stopped:
		err := &StoppedError{TimedOut: errors.Is(in.Err, context.DeadlineExceeded), Awaiting: s.sc.Awaiting(*s)}
		c.Emit(Failed{Step: "wait", Err: err})
		c.End(false, err)
	}
}

// start forgets the token and everything that followed it (the tunnel stays as it is) and asks
// for a token once the tunnel has settled.
func (c *Ctx) start() {
	old := *c.s
	*c.s = State{sc: old.sc, Opts: old.Opts, Tunnel: old.Tunnel, visible: old.visible, receiverGone: old.receiverGone,
		Own: old.sc.NewOwn(), Phase: PhaseAwaitTunnel, Busy: Busy{Creating: c.at}, Pacing: Pacing{On: old.Pacing.On}}
	c.createIfWaiting()
}

// createIfWaiting creates the token once the tunnel has settled, so that it carries the webhook.
func (c *Ctx) createIfWaiting() {
	s := c.s
	if s.Phase != PhaseAwaitTunnel || !s.Tunnel.Settled {
		return
	}
	if !s.readySaid {
		t := s.Tunnel
		if !t.Up {
			// Nobody can retry the tunnel headless, and without webhooks the run cannot pass.
			c.Fail("tunnel", t.Err)
			if s.Done() {
				return
			}
		}
		s.readySaid = true
		r := Ready{Mode: s.Opts.Mode, PlaidURL: s.Opts.PlaidURL, WebhookURL: t.WebhookURL, Tunnel: t.Provider}
		if !t.Up {
			r.Tunnel = "none"
		} else {
			r.TokenSource, r.FreePlan = t.TokenSource, t.FreePlan
		}
		c.Emit(r)
	}
	s.Phase = PhaseCreating
	c.do(CreateToken{Webhook: s.Tunnel.Up})
}

func (c *Ctx) tokenCreated(in TokenCreated) {
	s, lt := c.s, in.Token
	if s.Phase != PhaseCreating {
		return
	}
	s.Phase, s.Busy.Creating = PhaseLive, time.Time{}
	s.Token, s.Since, s.tokens, s.lastCallErr = lt, c.at, []string{lt.Token}, ""
	c.Emit(LinkTokenCreated{Token: lt})
	// Plaid has answered once now: its Date says whether our clock will get its webhooks refused.
	if in.SkewKnown && (in.ClockSkew > MaxClockSkew || in.ClockSkew < -MaxClockSkew) {
		c.Emit(ClockOff{Skew: in.ClockSkew})
	}
	s.sc.TokenCreated(c)
	if s.Done() {
		return
	}
	if s.Opts.Auto {
		c.Walk(Walk{URL: lt.HostedLinkURL, Login: s.sc.Info().Login})
	} else {
		c.Emit(WaitingForPerson{URL: lt.HostedLinkURL, Cards: s.sc.Info().Cards})
	}
	c.pollLater()
}

func (c *Ctx) polled(st TokenStatus) {
	for _, ss := range st.Sessions {
		c.sawSession(ss.ID)
	}
	if c.s.Wait.On() {
		c.waitPolled(st)
	}
	if !c.s.Done() {
		c.s.sc.Polled(c, st)
	}
}

func (c *Ctx) sawSession(id string) {
	if id != "" && !slices.Contains(c.s.sessions, id) {
		c.s.sessions = add(c.s.sessions, id)
	}
}

// received takes one receiver event: it is recorded, and a webhook about the run's tokens moves a
// live run on.
func (c *Ctx) received(ev webhook.Event, live bool) {
	s := c.s
	switch ev.Kind {
	case webhook.EventWebhook:
		if ev.Webhook == nil {
			return
		}
		w := ev.Webhook
		mine := s.Concerns(w.LinkToken)
		var names []string
		for _, le := range WebhookEvents(ev) {
			names = append(names, le.Name)
		}
		c.Emit(WebhookSeen{Seq: ev.Seq, Verified: ev.Verified, Duplicate: ev.Duplicate, Reason: ev.Reason,
			Type: w.WebhookType, Code: w.WebhookCode, Status: w.Status, LinkSessionID: w.LinkSessionID,
			LinkToken: w.LinkToken, PublicTokenCount: len(PublicTokens(ev)), LinkEvents: names, Other: !mine,
			Body: MaskBody(ev.Body)})
		if !live || !mine || !s.HasToken() {
			return
		}
		c.sawSession(w.LinkSessionID)
		if ev.Verified {
			s.sc.Webhook(c, ev)
		}
		if !s.Done() && s.Wait.On() && SessionFinished(ev) {
			c.waitWebhook(ev)
		}
	case webhook.EventRejected:
		c.Emit(RequestRefused{Seq: ev.Seq, Status: ev.Status, Reason: ev.Reason})
	case webhook.EventComplete:
		c.Emit(CompletionPage{Seq: ev.Seq})
		if live && s.HasToken() {
			s.Wait.CompleteSeen = true
		}
	case webhook.EventForward:
		if ev.Forward != nil {
			c.Emit(Relayed{Result: *ev.Forward})
		}
	}
}

func (c *Ctx) exchanged(it Item) {
	s := c.s
	w := &s.Wait
	if w.publicToken == "" || w.Item != nil {
		return // nothing was being exchanged (a stale answer)
	}
	s.Busy.Exchanging, s.lastCallErr = time.Time{}, ""
	w.Item = &it
	c.Emit(ItemExchanged{Item: it, Via: w.Via})
	s.sc.Exchanged(c, it, w.Via)
}

func (c *Ctx) callFailed(call Call, err error) {
	s := c.s
	switch call {
	case CallCreateToken:
		if s.Phase != PhaseCreating {
			return
		}
		s.Phase, s.Busy.Creating = PhaseNoToken, time.Time{}
		c.Fail(call.String(), err)
	case CallExchange:
		s.Busy.Exchanging = time.Time{}
		c.Fail(call.String(), err)
	case CallWalk:
		s.Busy.Walking = time.Time{}
		s.Pacing = Pacing{On: s.Pacing.On} // the walk is over: a can start it again
		c.Fail(call.String(), err)
	case CallRestore:
		s.Busy.Restoring = time.Time{}
		c.Fail(call.String(), err)
	case CallPoll:
		c.pollFailed(err)
	}
}

// pollFailed: polling goes on through a blip (a failure is reported once, not on every poll), backs
// off while Plaid rate-limits, and a run that gives up ends once Plaid has not answered for
// TransportGrace, or has answered only server errors and rate limits for ServerErrorGrace.
func (c *Ctx) pollFailed(err error) {
	s := c.s
	s.polling = false
	if err.Error() != s.lastCallErr {
		s.lastCallErr = err.Error()
		c.Emit(Failed{Step: CallPoll.String(), Err: err})
	}
	if RateLimited(err) {
		s.rateLimited++
	} else {
		s.rateLimited = 0
	}
	if s.Opts.GiveUp {
		if !Transient(err) {
			c.End(false, &StepError{Step: CallPoll.String(), Err: err})
			return
		}
		since, grace := &s.noAnswerSince, s.Opts.TransportGrace
		if NoAnswer(err) {
			s.serverErrSince = time.Time{}
		} else {
			s.noAnswerSince = time.Time{}
			since, grace = &s.serverErrSince, s.Opts.ServerErrorGrace
		}
		if since.IsZero() {
			*since = c.at
		}
		if d := c.at.Sub(*since); d >= grace {
			g := GaveUp{For: d, Last: err, Answered: !NoAnswer(err), PlaidURL: s.Opts.PlaidURL}
			c.Emit(g)
			c.End(false, &GaveUpError{For: g.For, Last: err, Answered: g.Answered, PlaidURL: g.PlaidURL})
			return
		}
	}
	c.pollLater()
}
