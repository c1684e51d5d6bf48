// Package flows is Link Recovery testing once, UI-free and I/O-free: the core.
//
// A run of one scenario is a value, State, and one function moves it on:
//
//	Step(State, time, Input) (State, []Effect, []Event)
//
// Inputs are what happened (a webhook, a poll answer, a deadline, a call's failure, the person's
// intent), each stamped with the driver's clock; Effects are what to do next (the Plaid and emulator
// calls, the deadlines); Events are the facts the step established (a token created, a Plaid call
// done, a webhook seen and its verdict, the person left Link, a fallback, an exchange, done). The
// core writes no prose for screens, no records and names no key: records.go turns Events into the
// JSON records of --no-tui and --transcript, and the TUI renders State and Events in its own words.
//
// A scenario (scenario.go) is what differs between runs: signup.go and session.go are Link
// Recovery's two halves, leave.go the person who leaves Link. Each is a type with exported hooks
// over a small context (Ctx), and a line in Scenarios; everything that lists scenarios (the
// --scenario flag, the home screen, the help) derives from that list.
//
// The wiring (internal/env) performs the Effects with plaid-go, the emulator and timers, and hands
// their results back as Inputs; both drivers, headless and the TUI, use it.
//
// Files: state.go (State, Phase, Options), step.go (Step and the shared rules), wait.go (the wait
// for SESSION_FINISHED), inputs.go, effects.go, events.go, scenario.go, records.go (Events as
// records), mask.go (bounded, masked bodies), linkevents.go (what Link events and webhooks say),
// errors.go (PlaidError, CallError, the run's own errors), transcript.go (JSON lines, 0600).
package flows

import "time"

// Mode is where the app's Plaid calls go.
type Mode string

const (
	ModeDemo    Mode = "demo"    // the built-in emulator, in-process
	ModeSandbox Mode = "sandbox" // the real Plaid Sandbox
)

// Timings every driver shares, defined once here.
const (
	// DefaultWebhookTimeout is how long, once /link/token/get shows the session finished, a
	// verified SESSION_FINISHED may take before the run falls back to polling (--webhook-timeout).
	DefaultWebhookTimeout = 3 * time.Minute
	// DemoPollInterval and SandboxPollInterval are how often /link/token/get is polled while a
	// session is followed (see PollInterval).
	DemoPollInterval    = 250 * time.Millisecond
	SandboxPollInterval = 2 * time.Second // Plaid rate-limits /link/token/get
	// DefaultTransportGrace is how long calls to Plaid may fail with no answer at all (network down,
	// Plaid unreachable) before a headless run gives up.
	DefaultTransportGrace = 30 * time.Second
	// DefaultServerErrorGrace is how long Plaid may answer every poll with a server error (5xx) or
	// a rate limit (429) before a headless run gives up: errors that answer are not "no answer",
	// but they must not keep a run alive forever either.
	DefaultServerErrorGrace = 2 * time.Minute
	// MaxRateLimitBackoff caps the wait between polls while Plaid answers 429.
	MaxRateLimitBackoff = 30 * time.Second
	// DefaultEventsWait bounds the wait for EVENTS once every sign-up session ended with steps
	// missing: Plaid sends EVENTS when the user finishes, or 5 to 15 minutes after an abandoned
	// session.
	DefaultEventsWait = 16 * time.Minute
	// eventsNotice is how often a waiting event says how much of DefaultEventsWait is left.
	eventsNotice = time.Minute
)

// PollInterval is how often a run polls /link/token/get in mode.
func PollInterval(mode Mode) time.Duration {
	if mode == ModeDemo {
		return DemoPollInterval
	}
	return SandboxPollInterval
}
