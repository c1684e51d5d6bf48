package flows

import (
	"slices"
	"time"

	"github.com/bankdown/linkrecovery/internal/webhook"
)

// Wait is the wait for a session's outcome. A verified SESSION_FINISHED webhook gives it: a public
// token to exchange, or an exit (the person left Link). Once /link/token/get shows the session
// finished, the webhook has the webhook timeout to come, or the run falls back to what polling
// shows (and cannot pass).
type Wait struct {
	Token      string    // the link token whose SESSION_FINISHED is awaited ("": no wait)
	Since      time.Time // when the wait began
	FinishedAt time.Time // when /link/token/get first showed the session finished: the webhook clock
	Fallback   Fallback  // why the run follows /link/token/get instead (FallbackNone: it waits)
	// QuietExits: the sessions in Quiet (seen before the wait began) may end without an Item, as
	// the sign-up session itself does; their exits are not the awaited session's.
	QuietExits   bool
	Quiet        []string
	CompleteSeen bool // the /complete page was opened

	WebhookSeq    int64  // the verified SESSION_FINISHED, 0 if none yet
	WebhookStatus string // its status
	Left          bool   // it was an exit: the person left Link without an Item
	Rejected      []Refusal
	PolledExits   []Session // sessions that exited without an Item, per /link/token/get

	polled      SessionEnd // what /link/token/get showed of the session's end (Status "": nothing yet)
	publicToken string
	Via         string // where the outcome came from: "webhook" or "polling"
	Item        *Item  // the exchanged Item (never changed once set)
}

// Refusal is an unverified SESSION_FINISHED: shown, never acted on.
type Refusal struct {
	Seq    int64
	Reason string
}

// On says whether there is a wait.
func (w Wait) On() bool { return w.Token != "" }

// Waiting says whether the wait is on with no outcome in hand: the spinner's condition.
func (w Wait) Waiting() bool { return w.On() && w.publicToken == "" && !w.Left }

// PublicToken is the public token being (or that was) exchanged, "" before one is taken.
func (w Wait) PublicToken() string { return w.publicToken }

// PolledFinished says /link/token/get showed the session finished with an Item.
func (w Wait) PolledFinished() bool { return len(w.polled.PublicTokens) > 0 }

// TimedOut says the run fell back to polling (or had no webhook to wait for).
func (w Wait) TimedOut() bool { return w.Fallback != FallbackNone }

func (w Wait) quiet(session string) bool {
	return w.QuietExits && (session == "" || slices.Contains(w.Quiet, session))
}

// waitPolled takes what /link/token/get says of the awaited session: its end starts the webhook
// clock, and after a fallback it is the outcome.
func (c *Ctx) waitPolled(st TokenStatus) {
	w := &c.s.Wait
	w.PolledExits = nil
	var exit SessionEnd
	for _, ss := range st.Sessions {
		if ss.Status == "EXITED" && len(ss.PublicTokens) == 0 {
			w.PolledExits = add(w.PolledExits, ss)
			if !w.quiet(ss.ID) && exit.Status == "" {
				exit = SessionEnd{Status: ss.Status, SessionID: ss.ID, Via: "polling"}
			}
		}
	}
	end := exit
	if tok := st.FirstPublicToken(); tok != "" {
		end = SessionEnd{Status: "SUCCESS", PublicTokens: []string{tok}, Via: "polling"}
	}
	if end.Status == "" {
		return
	}
	if w.polled.Status == "" || len(end.PublicTokens) > 0 && len(w.polled.PublicTokens) == 0 {
		if w.polled.Status == "" {
			w.FinishedAt = c.at
			if w.Fallback == FallbackNone {
				c.Schedule(TimerWebhook, c.s.Opts.WebhookTimeout)
			}
		}
		w.polled = end
	}
	if w.Fallback != FallbackNone {
		c.sessionEnded(w.polled)
	}
}

// waitWebhook takes a SESSION_FINISHED about the awaited token.
func (c *Ctx) waitWebhook(ev webhook.Event) {
	w := &c.s.Wait
	if !ev.Verified {
		// Anyone can POST to a public URL: an unverified SESSION_FINISHED is shown and ignored.
		reason := ev.Reason
		if reason == "" {
			reason = "no reason given"
		}
		w.Rejected = add(w.Rejected, Refusal{Seq: ev.Seq, Reason: reason})
		return
	}
	if ev.Duplicate || w.WebhookSeq != 0 {
		return
	}
	end := SessionEnd{Seq: ev.Seq, Status: ev.Webhook.Status, SessionID: ev.Webhook.LinkSessionID,
		PublicTokens: PublicTokens(ev), Via: "webhook"}
	if len(end.PublicTokens) == 0 {
		if w.quiet(end.SessionID) {
			return // the sign-up session's own EXITED, late
		}
		w.Left = true
		c.Emit(LeftLink{Seq: ev.Seq, Status: end.Status, SessionID: end.SessionID})
	}
	w.WebhookSeq, w.WebhookStatus = ev.Seq, end.Status
	c.sessionEnded(end)
}

// sessionEnded hands the awaited session's outcome to the scenario, once.
func (c *Ctx) sessionEnded(end SessionEnd) {
	w := &c.s.Wait
	if w.publicToken != "" || c.s.Done() || end.Via == "polling" && w.Left {
		return
	}
	if end.Via == "polling" && len(end.PublicTokens) == 0 {
		w.Left = true
	}
	w.Via = end.Via
	c.s.sc.SessionEnded(c, end)
}

// fallBack gives up on the webhook: the run follows /link/token/get and can no longer pass.
func (c *Ctx) fallBack(why Fallback) {
	w := &c.s.Wait
	if w.Fallback != FallbackNone {
		return
	}
	w.Fallback = why
	f := FellBack{Why: why}
	if why == FallbackTimeout {
		f.After = c.s.Opts.WebhookTimeout
	}
	c.Emit(f)
	if w.polled.Status != "" {
		c.sessionEnded(w.polled)
	}
}
