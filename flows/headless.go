package flows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/webhook"
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
// It is a small loop over the half's Machine: it performs the machine's actions (plaid-go calls,
// emulator calls, timers) and feeds their results back, with the receiver's events. A headless
// run has nobody to retry anything, so its machine gives up (GiveUp) where the TUI would let a
// person try again: a tunnel that cannot open (the half could not pass without webhooks), a
// session that ended the wrong way, Plaid unreachable for TransportGrace.
//
// Every record has "event" and "time" (RFC 3339, UTC, nanoseconds). The events and their fields:
//
//	ready                  half, mode, plaid_url, webhook_url, tunnel, [ngrok_token_source], [note] (ngrok free plan)
//	warning                step ("clock"), message, skew_seconds (after link_token_created, when the clock is off)
//	link_token_created     half, link_token, hosted_link_url, expiration, webhook, completion_redirect_uri, request_id
//	waiting                half, hosted_link_url, message (without --auto: a person must open the URL; half 1:
//	                       how long it still waits for Plaid's late EVENTS)
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
// The run ends by itself: by its outcome, by ctx, or when Plaid stops answering for TransportGrace.
func RunHeadless(ctx context.Context, env *Env, o HalfOptions, emit func(Record)) bool {
	if emit == nil {
		emit = func(Record) {}
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	startFailed := func(err error) bool {
		at := now().UTC().Format(time.RFC3339Nano)
		r := ErrorRecord("start", err)
		r["time"] = at
		emit(r)
		emit(Record{"event": "done", "half": int(o.Half), "passed": false, "reason": "start: " + err.Error(), "time": at})
		return false
	}
	if env == nil {
		return startFailed(errors.New("no environment: build one with NewEnv"))
	}
	sc, ok := ScenarioFor(o.Half)
	if !ok {
		return startFailed(fmt.Errorf("unknown half %d: use 1 (sign-up) or 2 (session)", int(o.Half)))
	}
	if o.Auto && (env.Mode != ModeDemo || !env.CanDrive()) {
		return startFailed(errors.New("--auto works only in demo mode (no Plaid keys): against Plaid a person must finish the Hosted Link session; drop --auto and open the hosted_link_url"))
	}
	m := NewMachine(sc, MachineOptions{Mode: env.Mode, PlaidURL: env.PlaidURL, WebhookTimeout: env.cfg.WebhookTimeout,
		PollInterval: o.PollInterval, TransportGrace: o.TransportGrace, EventsWait: o.EventsWait,
		Auto: o.Auto, CanRestore: o.Auto && env.CanDrive(), GiveUp: true})
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &driver{ctx: runCtx, env: env, m: m, emit: emit, now: now, inputs: make(chan Input, 16)}
	defer d.stopTimers()
	return d.run(ctx)
}

// Replay runs inputs through half h's machine as a headless run does (GiveUp on), one step at a
// time, emitting its records; the calls and timers its actions ask for are not made, since their
// results are among the inputs. It reports whether the half passed. Tests use it to hold the TUI's
// records against a headless run's for the same inputs.
func Replay(h Half, o MachineOptions, inputs []Input, emit func(Record)) bool {
	sc, ok := ScenarioFor(h)
	if !ok {
		return false
	}
	o.GiveUp = true
	d := &driver{m: NewMachine(sc, o), emit: emit, dry: true}
	for _, in := range inputs {
		if d.finished {
			break
		}
		d.step(in)
	}
	return d.passed
}

// driver performs one headless run's actions.
type driver struct {
	dry    bool            // Replay: records only, no calls and no timers
	ctx    context.Context // ends when the run returns: calls and timers still running stop
	env    *Env
	m      *Machine
	emit   func(Record)
	now    func() time.Time
	inputs chan Input // results of calls and timers, fed back to the machine in order

	mu     sync.Mutex
	timers []*time.Timer

	finished, passed bool
}

func (d *driver) run(parent context.Context) bool {
	d.step(Start{At: d.now()})
	var events <-chan webhook.Event
	if t, err := d.env.OpenTunnel(d.ctx); err != nil {
		if parent.Err() != nil {
			d.step(Stopped{At: d.now(), Err: parent.Err()})
		} else {
			d.step(TunnelDown{At: d.now(), Err: err})
		}
	} else {
		d.step(TunnelUp{At: d.now(), WebhookURL: t.WebhookURL(), Provider: t.Provider, TokenSource: t.TokenSource, FreePlan: t.FreePlan()})
		if rcv := d.env.CurrentReceiver(); rcv != nil {
			events = rcv.Events()
		}
	}
	for !d.finished {
		select {
		case <-parent.Done():
			d.step(Stopped{At: d.now(), Err: parent.Err()})
		case in := <-d.inputs:
			d.step(in)
		case ev, ok := <-events:
			if !ok {
				events = nil
				d.step(ReceiverStopped{At: d.now()})
				continue
			}
			d.step(WebhookReceived{At: d.now(), Event: ev})
		}
	}
	return d.passed
}

// step feeds one input and performs what the machine asks for.
func (d *driver) step(in Input) {
	for _, a := range d.m.Step(in) {
		d.perform(a)
	}
}

func (d *driver) perform(a Action) {
	ctx, env := d.ctx, d.env
	switch a := a.(type) {
	case Emit:
		if a.Record["event"] == "done" {
			d.reportLastRelays()
		}
		d.emit(a.Record)
		return
	case Finished:
		d.finished, d.passed = true, a.Passed
		return
	}
	if d.dry {
		return
	}
	switch a := a.(type) {
	case CreateToken:
		d.call(CallCreateToken, func() (Input, error) {
			create := env.CreateHostedLinkToken
			if !a.Webhook {
				create = env.CreatePollingLinkToken
			}
			lt, err := create(ctx, a.Half)
			skew, _ := env.ClockSkew()
			return TokenCreated{At: d.now(), Token: lt, ClockWarning: env.ClockWarning(), ClockSkew: skew}, err
		})
	case PollToken:
		d.call(CallPoll, func() (Input, error) {
			st, err := env.GetLinkToken(ctx, a.Token)
			return Polled{At: d.now(), Token: a.Token, Status: st}, err
		})
	case ExchangeToken:
		d.call(CallExchange, func() (Input, error) {
			it, err := env.Exchange(ctx, a.PublicToken)
			return Exchanged{At: d.now(), Item: it}, err
		})
	case CompleteSession:
		d.call(CallAutoComplete, func() (Input, error) {
			err := env.CompleteSession(ctx, a.URL, a.Creds)
			return AutoCompleted{At: d.now(), Recovery: a.Recovery}, err
		})
	case RestoreBank:
		d.call(CallRestore, func() (Input, error) {
			sent, inbox, err := env.RestoreBank()
			return Restored{At: d.now(), Sent: sent, Inbox: inbox}, err
		})
	case Schedule:
		d.mu.Lock()
		d.timers = append(d.timers, time.AfterFunc(a.After, func() {
			d.send(DeadlinePassed{At: d.now(), Timer: a.Timer, Token: a.Token})
		}))
		d.mu.Unlock()
	}
}

// reportLastRelays lets the --forward-to relays still queued or in flight finish (bounded; the
// rest are cancelled) and reports every result the run has not read yet, so the run's output has
// one record for each relay before "done".
func (d *driver) reportLastRelays() {
	if d.dry || d.env == nil {
		return
	}
	for _, ev := range d.env.FinishForwards() {
		if rec := ForwardRecord(ev); rec != nil {
			rec["time"] = d.now().UTC().Format(time.RFC3339Nano)
			d.emit(rec)
		}
	}
}

// call runs fn on its own goroutine and feeds its result (or its failure) back.
func (d *driver) call(c Call, fn func() (Input, error)) {
	go func() {
		in, err := fn()
		if err != nil {
			if d.ctx.Err() != nil {
				return // the run is over, or the loop reports ctx itself
			}
			in = CallFailed{At: d.now(), Call: c, Err: err}
		}
		d.send(in)
	}()
}

// send hands an input to the loop, unless the run is over.
func (d *driver) send(in Input) {
	select {
	case d.inputs <- in:
	case <-d.ctx.Done():
	}
}

func (d *driver) stopTimers() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, t := range d.timers {
		t.Stop()
	}
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

// Transient says whether a call's error may go away by itself (network, rate limit, Plaid hiccup).
func Transient(err error) bool {
	var pe *PlaidError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "RATE_LIMIT_EXCEEDED", "INTERNAL_SERVER_ERROR", "PLANNED_MAINTENANCE":
			return true
		}
		return pe.HTTPStatus >= 500
	}
	return NoAnswer(err)
}

// NoAnswer says whether a call got no answer at all (nothing listening, network down, timeout).
func NoAnswer(err error) bool {
	var ce *CallError
	return errors.As(err, &ce) && ce.HTTPStatus == 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
