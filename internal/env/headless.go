package env

import (
	"context"
	"errors"
	"time"

	"github.com/bankdown/linkrecovery/flows"
)

// RunOptions configures RunHeadless.
type RunOptions struct {
	Scenario string // flows.Scenarios' name, e.g. "session"
	Auto     bool   // demo mode: the emulator walks the Hosted Link session(s), no browser needed
	// PollInterval, TransportGrace, ServerErrorGrace and EventsWait override flows.Options' (0:
	// their defaults).
	PollInterval     time.Duration
	TransportGrace   time.Duration
	ServerErrorGrace time.Duration
	EventsWait       time.Duration
	// OnEvent, when set, sees every event of the run as it happens (a report, a test).
	OnEvent func(flows.Event)
	// PageByPage walks Hosted Link one page at a time, as the presenter view's step by step
	// does, with nobody to wait for: each page is a flows.PageSubmitted event (for a report).
	PageByPage bool
}

// RunHeadless runs a scenario and writes one record per event (flows.RecordOf) with emit. It
// reports whether the scenario passed.
//
// It is a small loop over flows.Step: it performs the effects with Perform, each on its own
// goroutine, and feeds their results back in order, with the receiver's events. A headless run has
// nobody to retry anything, so it gives up (flows.Options.GiveUp) where the TUI would let a person
// try again: a tunnel that cannot open, a session that ended the wrong way, Plaid unreachable or
// failing for too long. It always ends with a done record: by its outcome, by ctx, or by a give-up.
func RunHeadless(ctx context.Context, e *Env, o RunOptions, emit func(flows.Record)) bool {
	if emit == nil {
		emit = func(flows.Record) {}
	}
	sc, ok := flows.Lookup(o.Scenario)
	startFailed := func(err error) bool {
		ev := flows.Event{At: e.Now(), Scenario: o.Scenario}
		if ok {
			ev.Half = sc.Info().Half
		}
		for _, f := range []flows.Fact{flows.Failed{Step: "start", Err: err}, flows.Done{Cause: &flows.StepError{Step: "start", Err: err}}} {
			ev.Fact = f
			emit(flows.RecordOf(ev))
		}
		return false
	}
	switch {
	case e == nil:
		return startFailed(errors.New("no environment: build one with env.New"))
	case !ok:
		return startFailed(flows.ErrUnknownScenario(o.Scenario))
	case o.Auto && !e.CanDrive():
		return startFailed(errors.New("--auto works only in demo mode (no Plaid keys): against Plaid a person must finish the Hosted Link session; drop --auto and open the hosted_link_url"))
	}
	opts := e.Options(o.Auto, true)
	opts.PollInterval, opts.TransportGrace, opts.ServerErrorGrace, opts.EventsWait = o.PollInterval, o.TransportGrace, o.ServerErrorGrace, o.EventsWait
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	d := &driver{ctx: runCtx, env: e, s: flows.New(sc, opts), emit: emit, onEvent: o.OnEvent, inputs: make(chan flows.Input, 16)}
	if o.PageByPage {
		d.step(flows.Paced{On: true})
	}
	return d.run(ctx)
}

// driver is one headless run.
type driver struct {
	ctx     context.Context // ends when the run returns: calls and timers still running stop
	env     *Env
	s       flows.State
	emit    func(flows.Record)
	onEvent func(flows.Event)
	inputs  chan flows.Input // results of effects, fed back in order
}

func (d *driver) run(parent context.Context) bool {
	d.step(flows.Start{})
	in, events := d.env.Open(d.ctx)
	if _, down := in.(flows.TunnelDown); down && parent.Err() != nil {
		in = flows.Stopped{Err: parent.Err()}
	}
	d.step(in)
	for !d.s.Done() {
		select {
		case <-parent.Done():
			d.step(flows.Stopped{Err: parent.Err()})
		case in := <-d.inputs:
			d.step(in)
		case ev, ok := <-events:
			if !ok {
				events = nil
				d.step(flows.ReceiverStopped{})
				continue
			}
			d.step(flows.Received{Event: ev})
		}
	}
	return d.s.Outcome.Passed
}

// step feeds one input, writes its events and performs its effects.
func (d *driver) step(in flows.Input) {
	var effs []flows.Effect
	var evs []flows.Event
	d.s, effs, evs = flows.Step(d.s, d.env.Now(), in)
	for _, ev := range evs {
		if _, done := ev.Fact.(flows.Done); done {
			d.reportLastRelays()
		}
		if d.onEvent != nil {
			d.onEvent(ev)
		}
		if r := flows.RecordOf(ev); r != nil {
			d.emit(r)
		}
	}
	if d.s.Pacing.Paused {
		// Step by step with nobody at the keys: go on at once.
		defer d.step(flows.Intent{Kind: flows.IntentNext})
	}
	for _, eff := range effs {
		go func() {
			if in := d.env.Perform(d.ctx, eff); in != nil {
				select {
				case d.inputs <- in:
				case <-d.ctx.Done():
				}
			}
		}()
	}
}

// reportLastRelays lets the --forward-to relays still queued or in flight finish (bounded; the
// rest are cancelled) and reports every result the run has not read yet, so the run's output has
// one record for each relay before "done".
func (d *driver) reportLastRelays() {
	for _, ev := range d.env.FinishForwards() {
		if rec := flows.ForwardRecord(ev); rec != nil {
			rec["time"] = d.env.Now().UTC().Format(time.RFC3339Nano)
			d.emit(rec)
		}
	}
}
