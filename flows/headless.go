package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// Poll intervals for /link/token/get while following a session (HalfOptions.PollInterval == 0).
const (
	demoPollInterval    = 250 * time.Millisecond
	sandboxPollInterval = 2 * time.Second // Plaid rate-limits /link/token/get
)

// Credentials --auto uses, as Plaid documents them for Link Recovery testing.
var (
	// AutoSignupCredentials log in to a bank that is down and opt in to the recovery e-mail.
	AutoSignupCredentials = emulator.Credentials{
		Username: emulator.UserGood, Password: emulator.PassInstitutionDown,
		Email: emulator.RecoveryEmail, Code: emulator.RecoveryCode,
	}
	// AutoSessionCredentials finish a session with an Item.
	AutoSessionCredentials = emulator.Credentials{Username: emulator.UserGood, Password: emulator.PassGood}
)

// RunHeadless runs a half and emits one Record per step (ready, link_token_created, webhook,
// public_token_exchanged, error, done). It reports whether the half passed.
//
// Every record has "event" and "time" (RFC 3339, UTC, nanoseconds). The events and their fields:
//
//	ready                  half, mode, plaid_url, webhook_url, tunnel
//	link_token_created     half, link_token, hosted_link_url, expiration, webhook, completion_redirect_uri, request_id
//	waiting                half, hosted_link_url, message (without --auto: a person must open the URL)
//	webhook                seq, webhook_type, webhook_code, verified, duplicate, [reason], [status],
//	                       [link_session_id], [public_token_count], [other_link_token]
//	progress               institution_down, opted_in (half 1, when the checklist changes)
//	recovery_email         to, url, subject, institution_id, institution_name (demo, half 1 with --auto)
//	public_token_exchanged half, item_id, institution_id, accounts[{account_id, name, mask, type, subtype,
//	                       balance_current}], via ("webhook" or "polling")
//	forwarded              seq, url, status_code, latency_ms, [error], [not_relayed] (--forward-to:
//	                       verified webhooks only, unless --forward-unverified)
//	error                  step, message, hint, and for Plaid errors code, error_type, request_id,
//	                       http_status, endpoint
//	done                   half, passed, [reason], [via]
//
// Records never carry secrets: no access token, no public token (only a count), no keys.
// Only a verified SESSION_FINISHED passes a half; an unverified one is reported and ignored.
// Nothing ends the run but its outcome or ctx; errors become "error" records and done{passed:false}.
func RunHeadless(ctx context.Context, env *Env, o HalfOptions, emit func(Record)) bool {
	if emit == nil {
		emit = func(Record) {}
	}
	r := &run{ctx: ctx, env: env, o: o, emitFn: emit}
	passed, reason := r.run(ctx)
	r.reportLastRelays()
	done := Record{"event": "done", "half": int(o.Half), "passed": passed}
	if reason != "" {
		done["reason"] = reason
	}
	if r.via != "" {
		done["via"] = r.via
	}
	r.emit(done)
	return passed
}

// run is one RunHeadless call's state.
type run struct {
	ctx    context.Context
	env    *Env
	o      HalfOptions
	emitFn func(Record)
	events <-chan webhook.Event // the receiver's events; nil once it stopped
	auto   <-chan error         // the running --auto session walk's result; nil when none runs
	via    string               // how the session result arrived: "webhook" or "polling"
}

// reportLastRelays lets the --forward-to relays still queued or in flight finish (bounded) and
// reports them, so the run's output lists every relay before "done".
func (r *run) reportLastRelays() {
	if r.env == nil {
		return
	}
	rcv := r.env.CurrentReceiver()
	if rcv == nil || r.env.Config().ForwardTo == "" {
		return
	}
	rcv.WaitForwards(webhook.DefaultForwardDrain)
	for {
		select {
		case ev, ok := <-rcv.Events():
			if !ok {
				return
			}
			if ev.Kind == webhook.EventForward {
				r.handleEvent(ev, nil)
			}
		default:
			return
		}
	}
}

func (r *run) emit(rec Record) {
	rec["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	r.emitFn(rec)
}

// fail emits an error record for err at step and returns the done reason. A step that failed
// because the run's ctx ended is reported as stopped, not as a Plaid or network problem.
func (r *run) fail(step string, err error) (bool, string) {
	if r.ctx.Err() != nil {
		return r.stopped(r.ctx, step)
	}
	r.emit(ErrorRecord(step, err))
	return false, step + ": " + err.Error()
}

func (r *run) run(ctx context.Context) (bool, string) {
	env, o := r.env, r.o
	if env == nil {
		return r.fail("start", errors.New("no environment: build one with NewEnv"))
	}
	if o.Half != HalfSignup && o.Half != HalfSession {
		return r.fail("start", fmt.Errorf("unknown half %d: use 1 (sign-up) or 2 (session)", int(o.Half)))
	}
	if o.Auto && (env.Mode != ModeDemo || env.Emulator == nil) {
		return r.fail("start", errors.New("--auto works only in demo mode (no Plaid keys): against Plaid a person must finish the Hosted Link session; drop --auto and open the hosted_link_url"))
	}
	if r.o.PollInterval <= 0 {
		r.o.PollInterval = sandboxPollInterval
		if env.Mode == ModeDemo {
			r.o.PollInterval = demoPollInterval
		}
	}

	t, err := env.OpenTunnel(ctx)
	if err != nil {
		return r.fail("tunnel", err)
	}
	ready := Record{"event": "ready", "half": int(o.Half), "mode": string(env.Mode), "plaid_url": env.PlaidURL,
		"webhook_url": t.WebhookURL(), "tunnel": string(t.Provider)}
	if t.Provider == tunnel.ProviderNgrok {
		ready["ngrok_token_source"] = t.TokenSource
		if t.FreePlan() {
			ready["note"] = tunnel.FreePlanNote
		}
	}
	r.emit(ready)
	if rcv := env.CurrentReceiver(); rcv != nil {
		r.events = rcv.Events()
	}

	lt, err := env.CreateHostedLinkToken(ctx, o.Half)
	if err != nil {
		return r.fail("link_token_create", err)
	}
	r.emit(Record{"event": "link_token_created", "half": int(o.Half), "link_token": lt.Token,
		"hosted_link_url": lt.HostedLinkURL, "expiration": lt.Expiration.UTC().Format(time.RFC3339),
		"webhook": lt.Webhook, "completion_redirect_uri": lt.RedirectURI, "request_id": lt.RequestID})
	// Plaid has answered once now: its Date says whether our clock will get its webhooks refused.
	if w := env.ClockWarning(); w != "" {
		skew, _ := env.ClockSkew()
		r.emit(Record{"event": "warning", "step": "clock", "message": w, "skew_seconds": int(skew.Seconds())})
	}

	creds := AutoSessionCredentials
	if o.Half == HalfSignup {
		creds = AutoSignupCredentials
	}
	r.startSession(ctx, lt.HostedLinkURL, creds)

	if o.Half == HalfSession {
		return r.finishAndExchange(ctx, []string{lt.Token}, true)
	}

	// Half 1: the outage and the opt-in, from EVENTS webhooks or /link/token/get.
	if ok, reason := r.followSignup(ctx, lt.Token); !ok {
		return false, reason
	}
	if !o.Auto {
		// Without --auto the sign-up half ends here: against Plaid nothing brings the bank back on
		// demand, and in demo mode the TUI (or a person at the emulator) restores it.
		return true, ""
	}
	// Demo: the opt-in is recorded once the session walk returns; only then restore the bank.
	if r.auto != nil {
		select {
		case err := <-r.auto:
			r.auto = nil
			if err != nil {
				return r.fail("auto", err)
			}
		case <-ctx.Done():
			return r.stopped(ctx, "the sign-up session walk")
		}
	}
	emails, err := env.Emulator.RestoreInstitution("")
	if err != nil {
		return r.fail("restore", err)
	}
	mail, ok := pickEmail(emails, lt.Token)
	if !ok {
		return r.fail("restore", errors.New("the institution is back but no recovery e-mail was sent: the opt-in was not recorded; run half 1 again"))
	}
	r.emit(Record{"event": "recovery_email", "to": mail.To, "url": mail.URL, "subject": mail.Subject,
		"institution_id": mail.InstitutionID, "institution_name": mail.InstitutionName})
	tokens := []string{lt.Token}
	if mail.LinkToken != "" && mail.LinkToken != lt.Token {
		tokens = append(tokens, mail.LinkToken)
	}
	r.startSession(ctx, mail.URL, AutoSessionCredentials)
	// The sign-up session's own SESSION_FINISHED (EXITED, no Item) may still arrive: don't fail on it.
	return r.finishAndExchange(ctx, tokens, false)
}

// startSession completes a Hosted Link session with the emulator in the background when Auto is
// on (its result comes on r.auto); without Auto a person does it, so say where.
func (r *run) startSession(ctx context.Context, url string, c emulator.Credentials) {
	if !r.o.Auto {
		r.emit(Record{"event": "waiting", "half": int(r.o.Half), "hosted_link_url": url,
			"message": "open hosted_link_url in a browser and finish the session"})
		return
	}
	ch := make(chan error, 1)
	go func() { ch <- r.env.Emulator.CompleteSession(ctx, url, c) }()
	r.auto = ch
}

func pickEmail(emails []emulator.Email, token string) (emulator.Email, bool) {
	for _, m := range emails {
		if m.LinkToken == token {
			return m, true
		}
	}
	if len(emails) > 0 {
		return emails[0], true
	}
	return emulator.Email{}, false
}

// followSignup waits until both the outage and the opt-in are seen. If every session of the token
// has ended without them (seen on two polls in a row, so late events are not mistaken for missing
// ones), it fails and says which step is missing rather than waiting for ctx.
func (r *run) followSignup(ctx context.Context, token string) (bool, string) {
	var prog SignupProgress
	report := func(p SignupProgress) {
		if p != prog {
			prog = p
			r.emit(Record{"event": "progress", "institution_down": p.InstitutionDown, "opted_in": p.OptedIn})
		}
	}
	endedShort := 0 // polls in a row that saw every session ended with steps missing
	lastPollErr := ""
	pollNow := func() (bool, string) {
		st, err := r.env.GetLinkToken(ctx, token)
		if err != nil {
			if ctx.Err() != nil {
				return r.stopped(ctx, "the sign-up steps")
			}
			if !transient(err) {
				return r.fail("link_token_get", err)
			}
			if err.Error() != lastPollErr { // a blip: say so once, keep following
				lastPollErr = err.Error()
				r.emit(ErrorRecord("link_token_get", err))
			}
			return true, ""
		}
		lastPollErr = ""
		report(prog.Merge(Progress(st.AllEvents())))
		if prog.Done() || !allEnded(st) {
			endedShort = 0
			return true, ""
		}
		if endedShort++; endedShort >= 2 {
			return r.fail("session", fmt.Errorf("the sign-up session ended without %s; open a new token and log in with %s / %s, then opt in with %s and code %s",
				missingSteps(prog), emulator.UserGood, emulator.PassInstitutionDown, emulator.RecoveryEmail, emulator.RecoveryCode))
		}
		return true, ""
	}
	poll := time.NewTicker(r.o.PollInterval)
	defer poll.Stop()
	for !prog.Done() {
		select {
		case <-ctx.Done():
			return r.stopped(ctx, "the sign-up steps")
		case err := <-r.auto:
			r.auto = nil
			if err != nil {
				return r.fail("auto", err)
			}
			// The walk is over: look now rather than at the next tick.
			if ok, reason := pollNow(); !ok {
				return false, reason
			}
		case ev, ok := <-r.events:
			if !ok {
				r.events = nil
				r.receiverStopped()
				continue
			}
			if !r.handleEvent(ev, []string{token}) || !ev.Verified {
				continue
			}
			report(prog.Merge(Progress(WebhookEvents(ev))))
			if SessionFinished(ev) && !prog.Done() {
				// The session is over: check /link/token/get now rather than at the next tick.
				if ok, reason := pollNow(); !ok {
					return false, reason
				}
			}
		case <-poll.C:
			if ok, reason := pollNow(); !ok {
				return false, reason
			}
		}
	}
	return true, ""
}

// allEnded says whether the token has sessions and all of them have finished.
func allEnded(st TokenStatus) bool {
	if len(st.Sessions) == 0 {
		return false
	}
	for _, s := range st.Sessions {
		if !s.Finished {
			return false
		}
	}
	return true
}

// missingSteps names the sign-up steps not seen, for the error.
func missingSteps(p SignupProgress) string {
	var miss []string
	if !p.InstitutionDown {
		miss = append(miss, "the institution-down error")
	}
	if !p.OptedIn {
		miss = append(miss, "the recovery opt-in")
	}
	return strings.Join(miss, " and ")
}

// finishAndExchange waits for a verified SESSION_FINISHED for one of tokens, then exchanges the
// first public token. It also polls /link/token/get: once that shows the session finished, the
// webhook has WebhookTimeout to arrive; if it does not, the run says so and falls back to the
// token from /link/token/get (and does not pass: the webhook path is what is under test). The
// clock starts at the finish, not at token creation, so a person slow in Link is not mistaken for
// a broken webhook path. With failOnExit, a session that ended without an Item fails the half.
func (r *run) finishAndExchange(ctx context.Context, tokens []string, failOnExit bool) (bool, string) {
	timeout := r.env.cfg.WebhookTimeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	poll := time.NewTicker(r.o.PollInterval)
	defer poll.Stop()
	var (
		fallbackC   <-chan time.Time // runs once /link/token/get shows the session finished
		fellBack    bool             // the webhook did not come: take /link/token/get's token
		polledToken string           // the public token /link/token/get reported
		publicToken string
		lastPollErr string
	)
	fallBack := func(why string) {
		if fellBack {
			return
		}
		fellBack = true
		r.emit(Record{"event": "error", "step": "webhook", "message": why,
			"hint": "check the webhook path: is the tunnel up, does the webhook URL reach this app, do the webhooks verify? (see the webhook records)"})
		if polledToken != "" {
			publicToken, r.via = polledToken, "polling"
		}
	}
	// pollNow asks /link/token/get; done=true ends the half with passed/reason.
	pollNow := func() (done, passed bool, reason string) {
		st, err := r.env.GetLinkToken(ctx, tokens[0])
		if err != nil {
			if ctx.Err() != nil {
				passed, reason = r.stopped(ctx, "SESSION_FINISHED")
				return true, passed, reason
			}
			if !transient(err) {
				passed, reason = r.fail("link_token_get", err)
				return true, passed, reason
			}
			// A blip while the webhook may still come: say so once, keep going.
			if err.Error() != lastPollErr {
				lastPollErr = err.Error()
				r.emit(ErrorRecord("link_token_get", err))
			}
			return false, false, ""
		}
		lastPollErr = ""
		if tok := st.FirstPublicToken(); tok != "" {
			if polledToken == "" {
				polledToken = tok
				t := time.NewTimer(timeout)
				fallbackC = t.C
			}
			if fellBack {
				publicToken, r.via = tok, "polling"
			}
			return false, false, ""
		}
		if failOnExit {
			for _, s := range st.Sessions {
				if s.Finished && s.Status != "SUCCESS" {
					passed, reason = r.fail("session", fmt.Errorf("the Link session ended without an Item (status %s, error %s, left at %s)",
						orDash(s.Status), orDash(s.ExitCode), orDash(s.ExitStatus)))
					return true, passed, reason
				}
			}
		}
		return false, false, ""
	}

	for publicToken == "" {
		select {
		case <-ctx.Done():
			return r.stopped(ctx, "SESSION_FINISHED")
		case err := <-r.auto:
			r.auto = nil
			if err != nil {
				return r.fail("auto", err)
			}
		case ev, ok := <-r.events:
			if !ok {
				r.events = nil
				r.receiverStopped()
				fallBack("the webhook receiver stopped before SESSION_FINISHED; falling back to polling /link/token/get")
				continue
			}
			if !r.handleEvent(ev, tokens) || !SessionFinished(ev) || !ev.Verified || ev.Duplicate {
				continue // unverified ones were reported by handleEvent and count for nothing
			}
			if toks := PublicTokens(ev); len(toks) > 0 {
				publicToken, r.via = toks[0], "webhook"
			} else if failOnExit {
				return r.fail("session", fmt.Errorf("the Link session finished without an Item (status %s)",
					orDash(ev.Webhook.Status)))
			}
		case <-fallbackC:
			fallbackC = nil
			fallBack(fmt.Sprintf("/link/token/get shows the session finished, but no verified SESSION_FINISHED webhook came within %s; falling back to polling /link/token/get", timeout))
		case <-poll.C:
			if done, passed, reason := pollNow(); done {
				return passed, reason
			}
		}
	}

	item, err := r.env.Exchange(ctx, publicToken)
	if err != nil {
		return r.fail("exchange", err)
	}
	accounts := make([]Record, 0, len(item.Accounts))
	for _, a := range item.Accounts {
		acc := Record{"account_id": a.ID, "name": a.Name, "mask": a.Mask, "type": a.Type, "subtype": a.Subtype}
		if a.Balance != nil {
			acc["balance_current"] = *a.Balance
		}
		accounts = append(accounts, acc)
	}
	r.emit(Record{"event": "public_token_exchanged", "half": int(r.o.Half), "item_id": item.ItemID,
		"institution_id": item.InstitutionID, "accounts": accounts, "via": r.via})
	if r.via != "webhook" {
		return false, "the session finished, but no verified SESSION_FINISHED webhook arrived: the webhook path is broken (see the error records)"
	}
	return true, ""
}

// handleEvent reports one receiver event as a record. It returns true for a webhook that concerns
// one of tokens (a webhook naming another link token, e.g. from an earlier run, is reported only).
func (r *run) handleEvent(ev webhook.Event, tokens []string) bool {
	switch ev.Kind {
	case webhook.EventWebhook:
		rec := Record{"event": "webhook", "seq": ev.Seq, "verified": ev.Verified, "duplicate": ev.Duplicate}
		mine := true
		if w := ev.Webhook; w != nil {
			rec["webhook_type"] = w.WebhookType
			rec["webhook_code"] = w.WebhookCode
			if w.Status != "" {
				rec["status"] = w.Status
			}
			if w.LinkSessionID != "" {
				rec["link_session_id"] = w.LinkSessionID
			}
			if n := len(PublicTokens(ev)); n > 0 {
				rec["public_token_count"] = n // the tokens themselves are exchangeable: never printed
			}
			if w.LinkToken != "" && !contains(tokens, w.LinkToken) {
				mine = false
				rec["other_link_token"] = true
			}
		}
		if !ev.Verified {
			reason := ev.Reason
			if reason == "" {
				reason = "not verified"
			}
			rec["reason"] = reason
		}
		r.emit(rec)
		return mine && ev.Webhook != nil
	case webhook.EventRejected:
		r.emit(Record{"event": "error", "step": "receiver",
			"message": fmt.Sprintf("the webhook receiver refused a request (HTTP %d): %s", ev.Status, orDash(ev.Reason)),
			"hint":    "only Plaid should POST JSON to the webhook URL; if this was Plaid, see the reason"})
	case webhook.EventForward:
		if rec := ForwardRecord(ev); rec != nil {
			r.emit(rec)
		}
	}
	return false
}

// ForwardRecord is the "forwarded" record of a --forward-to result (nil for other events):
// seq of the webhook, url (password masked), status_code and latency_ms of the app's answer,
// error if it did not answer, not_relayed when the webhook was not sent on purpose (not verified,
// queue full, exiting; error says which).
func ForwardRecord(ev webhook.Event) Record {
	f := ev.Forward
	if ev.Kind != webhook.EventForward || f == nil {
		return nil
	}
	rec := Record{"event": "forwarded", "seq": f.Seq, "url": f.URL, "status_code": f.StatusCode,
		"latency_ms": f.Latency.Milliseconds()}
	if f.Err != "" {
		rec["error"] = f.Err
	}
	if f.Skipped {
		rec["not_relayed"] = true
	}
	return rec
}

// transient says whether a polling error may go away by itself (network, rate limit, Plaid hiccup).
func transient(err error) bool {
	var pe *PlaidError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "RATE_LIMIT_EXCEEDED", "INTERNAL_SERVER_ERROR", "PLANNED_MAINTENANCE":
			return true
		}
		return pe.HTTPStatus >= 500
	}
	var ce *CallError
	return errors.As(err, &ce) && ce.HTTPStatus == 0
}

// receiverStopped reports that no more webhooks can come.
func (r *run) receiverStopped() {
	r.emit(Record{"event": "error", "step": "receiver",
		"message": "the webhook receiver stopped; following the session by polling /link/token/get",
		"hint":    "restart the app to receive webhooks again"})
}

// stopped reports that ctx ended the wait for what.
func (r *run) stopped(ctx context.Context, what string) (bool, string) {
	err := ctx.Err()
	msg := "stopped while waiting for " + what
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "timed out waiting for " + what
	}
	r.emit(Record{"event": "error", "step": "wait", "message": msg,
		"hint": "open the hosted_link_url and finish the session (or use --auto in demo mode)"})
	return false, msg
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
