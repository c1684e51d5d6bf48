package flows

import (
	"slices"
	"time"

	"github.com/bankdown/linkrecovery/internal/positive"
)

// Phase is where a run is in its life.
type Phase int

// The phases, in order.
const (
	PhaseIdle        Phase = iota // not started
	PhaseAwaitTunnel              // started: the token waits for the tunnel, so that it carries the webhook
	PhaseCreating                 // /link/token/create is on its way
	PhaseNoToken                  // the token could not be made (Start tries again)
	PhaseLive                     // the token is made: its session is followed
	PhaseDone                     // the outcome is in (State.Outcome)
)

// String names the phase.
func (p Phase) String() string {
	return named("phase", int(p), "idle", "await-tunnel", "creating", "no-token", "live", "done")
}

// Options are what a driver sets a run up with.
type Options struct {
	Mode     Mode
	PlaidURL string
	// WebhookTimeout is how long after /link/token/get shows the session finished a verified
	// SESSION_FINISHED may take before the run falls back to polling (0: DefaultWebhookTimeout).
	WebhookTimeout time.Duration
	PollInterval   time.Duration // 0: PollInterval(Mode)
	// TransportGrace is how long polling may get no answer before the run gives up, and
	// ServerErrorGrace how long it may get only server errors or rate limits (only with GiveUp;
	// 0: DefaultTransportGrace, DefaultServerErrorGrace).
	TransportGrace   time.Duration
	ServerErrorGrace time.Duration
	EventsWait       time.Duration // 0: DefaultEventsWait
	// Auto walks each Hosted Link session with the emulator as soon as it exists (demo).
	Auto bool
	// CanRestore says the emulator can bring the bank back, so the sign-up half goes on to the
	// recovery session (demo mode, with someone or --auto to do it).
	CanRestore bool
	// GiveUp ends the run (done, passed false) on what a person at a screen could retry instead:
	// a failed tunnel, a session that ended the wrong way, a failed call, Plaid unreachable.
	// Headless runs set it (nobody is there to retry); the TUI shows the problem and lets the
	// person try again.
	GiveUp bool
}

// CanWalk says whether the emulator can walk sessions (demo mode).
func (o Options) CanWalk() bool { return o.Mode == ModeDemo }

func (o Options) withDefaults() Options {
	o.WebhookTimeout = positive.Or(o.WebhookTimeout, DefaultWebhookTimeout)
	o.PollInterval = positive.Or(o.PollInterval, PollInterval(o.Mode))
	o.TransportGrace = positive.Or(o.TransportGrace, DefaultTransportGrace)
	o.ServerErrorGrace = positive.Or(o.ServerErrorGrace, DefaultServerErrorGrace)
	o.EventsWait = positive.Or(o.EventsWait, DefaultEventsWait)
	return o
}

// Tunnel is the tunnel as the run last heard of it (shared by every run of a process).
type Tunnel struct {
	Settled     bool // it opened or failed: a token can be made either way
	Up          bool
	WebhookURL  string
	Provider    string
	TokenSource string
	FreePlan    bool
	Err         error // why it is not up
}

// Busy says since when each call now in flight has been running (zero: not in flight), so that
// a screen shows how long without diffing states.
type Busy struct {
	Creating   time.Time // since Start: waiting for the tunnel, then /link/token/create
	Walking    time.Time // the emulator walks a session
	Exchanging time.Time
	Restoring  time.Time
}

// Outcome is how a run ended.
type Outcome struct {
	Passed bool
	Reason string // why it passed
	Cause  error  // why not
	Via    string // "webhook" or "polling"
}

// State is one run of one scenario, as a value: Step returns a new one and never changes the one it
// was given.
type State struct {
	sc      Scenario
	Opts    Options // defaults filled in
	Phase   Phase
	Tunnel  Tunnel
	Token   LinkToken // Token.Token == "" until it is made
	Since   time.Time // when the token was made
	Busy    Busy
	Wait    Wait    // the wait for the session's SESSION_FINISHED (wait.go)
	Outcome Outcome // PhaseDone only
	// Own is the scenario's own state (SignupState, LeaveState…), a value like the rest.
	Own any
	// Pacing is the step by step of the presenter view (pace.go).
	Pacing Pacing

	tokens   []string // link tokens whose webhooks are this run's (the token, a recovery e-mail's)
	sessions []string // link sessions seen, from webhooks and polls
	visible  bool     // the run is on screen (always, headless): it polls only then
	// One poll chain at a time: a TimerPoll scheduled, a PollToken in flight, or both (a poll
	// asked for at once while the next tick is scheduled).
	pollDue, polling bool
	lastCallErr      string    // the last failed call's message, reported once
	noAnswerSince    time.Time // polls have had no answer since then
	serverErrSince   time.Time // polls have had only server errors or rate limits since then
	rateLimited      int       // 429s in a row: each doubles the wait before the next poll
	readySaid        bool
	receiverGone     bool
}

// New is a run of sc, not started: Step it with Start (and the tunnel's state) to begin.
func New(sc Scenario, o Options) State {
	return State{sc: sc, Opts: o.withDefaults(), visible: true}
}

// Scenario is what the run runs.
func (s State) Scenario() Scenario { return s.sc }

// Info is the scenario's description.
func (s State) Info() Info { return s.sc.Info() }

// HasToken says whether the run's link token is made.
func (s State) HasToken() bool { return s.Token.Token != "" }

// Done says whether the run reached its outcome.
func (s State) Done() bool { return s.Phase == PhaseDone }

// NoWebhook says the token was made without a webhook (the tunnel had failed).
func (s State) NoWebhook() bool { return s.HasToken() && s.Token.Webhook == "" }

// Tokens are the link tokens whose webhooks concern the run.
func (s State) Tokens() []string { return slices.Clone(s.tokens) }

// Concerns says whether a webhook naming linkToken is about this run: it names one of its tokens,
// or names none at all (older webhooks). The one place that decides "is it mine".
func (s State) Concerns(linkToken string) bool {
	return linkToken == "" || slices.Contains(s.tokens, linkToken)
}

// CanWalk says whether the emulator can walk the current session now (the a key): demo mode, a
// token, no walk in flight, and a session left to walk.
func (s State) CanWalk() bool {
	if !s.HasToken() || s.Done() || !s.Busy.Walking.IsZero() || s.Pacing.walking() || !s.Opts.CanWalk() {
		return false
	}
	_, ok := s.sc.WalkNow(s)
	return ok
}

// add is append that never writes into a slice another State shares.
func add[T any](xs []T, x ...T) []T { return append(slices.Clip(xs), x...) }
