package flows

import (
	"errors"
	"fmt"
	"time"
)

// PlaidError is a Plaid error response, with what to do about it.
type PlaidError struct {
	HTTPStatus     int
	Type           string
	Code           string
	Message        string
	DisplayMessage string
	RequestID      string
	Endpoint       string
}

func (e *PlaidError) Error() string { return e.Endpoint + ": " + e.Code + ": " + e.Message }

// Hint says what the user should do next for this error.
func (e *PlaidError) Hint() string {
	switch e.Code {
	case "INVALID_API_KEYS":
		return "check that PLAID_CLIENT_ID and PLAID_SECRET are your Sandbox keys from " +
			"https://dashboard.plaid.com/team/keys (the Sandbox secret, not Production)"
	case "INVALID_FIELD", "MISSING_FIELDS", "INVALID_BODY":
		// Plaid's message names the field, which is the most useful thing to show.
		return "Plaid refused the request: " + e.Message + "; fix that value (e.g. --redirect-uri) and try again"
	case "INVALID_LINK_TOKEN":
		return "the link token is expired or unknown: create a new link token"
	case "INVALID_PUBLIC_TOKEN":
		return "public tokens are single-use and expire after 30 minutes: finish a new Link session and exchange its token"
	case "INVALID_ACCESS_TOKEN":
		return "the access token is not valid for these keys: exchange a new public token"
	case "RATE_LIMIT_EXCEEDED":
		return "Plaid is rate-limiting these calls: wait a minute, then try again"
	case "INTERNAL_SERVER_ERROR", "PLANNED_MAINTENANCE":
		return "Plaid had a temporary problem: retry in a moment" + e.quoteRequestID(" (if it persists, quote ", ")")
	case "INSTITUTION_DOWN", "INSTITUTION_NOT_RESPONDING":
		return "the institution is down: this is the case Link Recovery handles; opt in to the recovery e-mail"
	}
	return "see https://plaid.com/docs/errors/ for " + orDash(e.Code) + e.quoteRequestID("; quote ", " if you contact Plaid support")
}

func (e *PlaidError) quoteRequestID(before, after string) string {
	if e.RequestID == "" {
		return ""
	}
	return before + "request_id " + e.RequestID + after
}

// CallError is a Plaid call that got no Plaid answer: the network failed, or something that is not
// Plaid answered (a wrong PLAID_BASE_URL, a proxy page).
type CallError struct {
	Endpoint   string
	URL        string // the base URL that was called, if known
	HTTPStatus int    // 0 when nothing answered
	Cause      string // what went wrong, in plain words
	Next       string // what to do next
	Err        error
}

func (e *CallError) Error() string { return e.Endpoint + ": " + e.Cause + "; " + e.Next }
func (e *CallError) Unwrap() error { return e.Err }

// Hint says what to do next (the same as Next, so that all flow errors answer Hint).
func (e *CallError) Hint() string { return e.Next }

// Hinter is an error that says what to do next (*PlaidError, *CallError, *tunnel.Error, …).
type Hinter interface {
	error
	Hint() string
}

// Transient says whether a call's error may go away by itself (network, rate limit, Plaid hiccup).
func Transient(err error) bool {
	var pe *PlaidError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "RATE_LIMIT_EXCEEDED", "INTERNAL_SERVER_ERROR", "PLANNED_MAINTENANCE":
			return true
		}
		return pe.HTTPStatus >= 500 || pe.HTTPStatus == 429
	}
	return NoAnswer(err)
}

// NoAnswer says whether a call got no answer at all (nothing listening, network down, timeout).
func NoAnswer(err error) bool {
	var ce *CallError
	return errors.As(err, &ce) && ce.HTTPStatus == 0
}

// RateLimited says whether Plaid answered "too many requests".
func RateLimited(err error) bool {
	var pe *PlaidError
	return errors.As(err, &pe) && (pe.Code == "RATE_LIMIT_EXCEEDED" || pe.HTTPStatus == 429)
}

// The run's own errors: facts with their words, for records and screens alike.

// StoppedError: the run's context ended while it waited.
type StoppedError struct {
	TimedOut bool
	Awaiting Awaiting
}

func (e *StoppedError) Error() string {
	if e.TimedOut {
		return "timed out waiting for " + e.Awaiting.String()
	}
	return "stopped while waiting for " + e.Awaiting.String()
}

// GaveUpError: Plaid did not answer, or answered only errors, for too long.
type GaveUpError struct {
	For      time.Duration
	Last     error
	Answered bool
	PlaidURL string
}

func (e *GaveUpError) Error() string {
	if e.Answered {
		return fmt.Sprintf("Plaid has answered only with server errors or rate limits for %s (last: %s); giving up", e.For.Round(time.Second), e.Last)
	}
	return fmt.Sprintf("Plaid has not answered for %s (last: %s); giving up", e.For.Round(time.Second), e.Last)
}

// Hint is the next step.
func (e *GaveUpError) Hint() string {
	if e.Answered {
		return "Plaid (" + orDash(e.PlaidURL) + ") keeps failing these calls: check https://status.plaid.com (or the emulator's faults), wait a few minutes, then run again"
	}
	return "check that Plaid (" + orDash(e.PlaidURL) + ") is reachable from here (network, proxy, PLAID_BASE_URL), then run again"
}

// SessionExitedError: /link/token/get shows a session that exited without an Item.
type SessionExitedError struct{ Status, ExitCode, ExitStatus string }

func (e *SessionExitedError) Error() string {
	return fmt.Sprintf("the Link session ended without an Item (status %s, error %s, left at %s)",
		orDash(e.Status), orDash(e.ExitCode), orDash(e.ExitStatus))
}

// SignupShortError: every sign-up session ended without the outage or the opt-in, and no late
// EVENTS came. It names both credential pairs, since a client outside the Link Recovery beta needs
// the second one.
type SignupShortError struct{ Missing SignupProgress }

func (e *SignupShortError) Error() string {
	return "the sign-up session ended without " + MissingSteps(e.Missing) + "; open a new token and " + SignupSteps()
}

// SignupSteps says what the sign-up half asks of the person, naming both credential pairs.
func SignupSteps() string {
	s, f := SignupLogin, FallbackLogin
	return fmt.Sprintf("log in with %s / %s (or %s / %s if your Plaid client is not in the Link Recovery beta), then opt in with %s and code %s",
		s.Username, s.Password, f.Username, f.Password, s.Email, s.Code)
}

// ErrNoRecoveryEmail: the bank came back, but no opt-in was waiting, so no e-mail went out.
var ErrNoRecoveryEmail = errors.New("the institution is back but no recovery e-mail was sent: the opt-in was not recorded; run half 1 again")

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
