package env

import (
	"context"
	"errors"
	"fmt"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// The effect interpreter: each flows.Effect maps to its call here, once, for both drivers.

// ErrNoEnv is what every effect answers when a driver has no Env (a TUI built without one).
var ErrNoEnv = errors.New("no Plaid environment was set up; start the app with `go run .`")

// Perform does one effect and returns the input it produced: the call's answer (inside
// flows.Answered with the Plaid calls it made on the way), or a flows.CallFailed naming the call.
// A Schedule waits on the Env's clock. Perform blocks as long as the call or the deadline takes,
// so drivers run it off their loop (headless on a goroutine, the TUI in a tea.Cmd). It returns nil
// when ctx ended first: the run is over and there is nothing to feed back.
func (e *Env) Perform(ctx context.Context, eff flows.Effect) flows.Input {
	if s, ok := eff.(flows.Schedule); ok {
		select {
		case <-e.clockOf().After(s.After):
			return flows.DeadlinePassed{Timer: s.Timer, Token: s.Token}
		case <-ctx.Done():
			return nil
		}
	}
	if e == nil {
		return flows.CallFailed{Call: eff.Call(), Err: ErrNoEnv}
	}
	cctx, log := withCallLog(ctx)
	in, err := e.perform(cctx, eff)
	if err != nil {
		if ctx.Err() != nil {
			return nil // the run is over, or its driver reports ctx itself
		}
		in = flows.CallFailed{Call: eff.Call(), Err: err}
	}
	if calls := log.taken(); len(calls) > 0 {
		return flows.Answered{Input: in, Calls: calls}
	}
	return in
}

func (e *Env) perform(ctx context.Context, eff flows.Effect) (flows.Input, error) {
	switch eff := eff.(type) {
	case flows.CreateToken:
		create := e.CreateHostedLinkToken
		if !eff.Webhook {
			create = e.CreatePollingLinkToken
		}
		lt, err := create(ctx)
		skew, known := e.ClockSkew()
		return flows.TokenCreated{Token: lt, ClockSkew: skew, SkewKnown: known}, err
	case flows.PollToken:
		st, err := e.GetLinkToken(ctx, eff.Token)
		return flows.Polled{Token: eff.Token, Status: st}, err
	case flows.ExchangeToken:
		it, err := e.Exchange(ctx, eff.PublicToken)
		return flows.Exchanged{Item: it}, err
	case flows.Walk:
		err := e.CompleteSession(ctx, eff.URL, eff.Login)
		return flows.Walked{Recovery: eff.Recovery}, err
	case flows.WalkPage:
		st, err := e.StepSession(ctx, eff.Walk.URL, eff.Walk.Login)
		return flows.PageWalked{Step: st, Recovery: eff.Walk.Recovery}, err
	case flows.RestoreBank:
		sent, inbox, err := e.RestoreBank()
		return flows.Restored{Sent: sent, Inbox: inbox}, err
	}
	return nil, fmt.Errorf("internal/env cannot perform %T: a bug in linkrecovery", eff)
}

// Open opens the tunnel and its receiver (OpenTunnel) and says how it went as the input both
// drivers feed to their runs, with the receiver's events once it is up.
func (e *Env) Open(ctx context.Context) (flows.Input, <-chan webhook.Event) {
	if e == nil {
		return flows.TunnelDown{Err: ErrNoEnv}, nil
	}
	t, err := e.OpenTunnel(ctx)
	if err != nil {
		return flows.TunnelDown{Err: err}, nil
	}
	var events <-chan webhook.Event
	if rcv := e.CurrentReceiver(); rcv != nil {
		events = rcv.Events()
	}
	return flows.TunnelUp{WebhookURL: t.WebhookURL(), Provider: string(t.Provider), TokenSource: t.TokenSource,
		FreePlan: t.FreePlan()}, events
}

// Options are the run options of a scenario in this Env: its mode and Plaid URL, its timeouts,
// and what the emulator can do.
func (e *Env) Options(auto, giveUp bool) flows.Options {
	return flows.Options{Mode: e.Mode, PlaidURL: e.PlaidURL, WebhookTimeout: e.cfg.WebhookTimeout,
		Auto: auto && e.CanDrive(), CanRestore: e.CanDrive() && (auto || !giveUp), GiveUp: giveUp}
}
