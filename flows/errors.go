package flows

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/internal/secret"
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
		return "the link token is expired or unknown: create a new token (press n)"
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

// Hinter is an error that says what to do next (*PlaidError, *CallError).
type Hinter interface {
	error
	Hint() string
}

// AsPlaidError turns an error from a plaid-go call to endpoint into a *PlaidError (Plaid answered
// with an error body) or a *CallError (nothing, or not Plaid, answered). A context error is
// returned wrapped, so errors.Is(err, context.Canceled) keeps working. nil stays nil.
func AsPlaidError(err error, endpoint string) error {
	return asPlaidError(err, nil, endpoint, "")
}

// asPlaidError is AsPlaidError with the response (for the HTTP status) and the base URL (for the
// message) when the caller has them.
func asPlaidError(err error, resp *http.Response, endpoint, baseURL string) error {
	if err == nil {
		return nil
	}
	var pe *PlaidError
	if errors.As(err, &pe) {
		return err
	}
	var ae *AnswerError
	if errors.As(err, &ae) {
		// A redirect or an oversized answer: something that is not Plaid's API answered.
		return &CallError{Endpoint: endpoint, URL: baseURL, HTTPStatus: httpStatus(resp), Cause: ae.Cause,
			Next: "check PLAID_BASE_URL (unset it to use https://sandbox.plaid.com)", Err: err}
	}
	status := httpStatus(resp)
	var gen plaid.GenericOpenAPIError
	if errors.As(err, &gen) {
		if status == 0 {
			status = leadingStatus(gen.Error())
		}
		var m plaid.PlaidError
		if model, ok := gen.Model().(plaid.PlaidError); ok {
			m = model
		} else if jerr := json.Unmarshal(gen.Body(), &m); jerr != nil {
			m = plaid.PlaidError{}
		}
		if m.ErrorCode != "" {
			p := &PlaidError{
				HTTPStatus: status,
				Type:       string(m.ErrorType),
				Code:       m.ErrorCode,
				Message:    secret.Scrub(m.ErrorMessage),
				RequestID:  m.GetRequestId(),
				Endpoint:   endpoint,
			}
			if m.DisplayMessage.IsSet() && m.DisplayMessage.Get() != nil {
				p.DisplayMessage = *m.DisplayMessage.Get()
			}
			if p.HTTPStatus == 0 && m.Status.IsSet() && m.Status.Get() != nil {
				p.HTTPStatus = int(*m.Status.Get())
			}
			return p
		}
		where := "Plaid"
		if baseURL != "" {
			where = baseURL
		}
		cause := "unexpected answer from " + where
		if status != 0 {
			cause += " (HTTP " + strconv.Itoa(status) + ")"
		}
		switch body := snippet(gen.Body()); {
		case status < 300:
			// A success (or a status we could not read) whose body did not decode: it may hold
			// the very token the call returned, so it is never quoted; the decoder's complaint is.
			cause += ": the body could not be read as Plaid's answer (" + gen.Error() + "); it is not shown, as it may hold a token"
		case body != "":
			cause += ": " + body
		case gen.Error() != "":
			cause += ": " + gen.Error()
		}
		// A proxy may echo the request's headers (PLAID-SECRET among them) in its error page.
		return &CallError{Endpoint: endpoint, URL: baseURL, HTTPStatus: status, Cause: secret.Scrub(cause),
			Next: "check PLAID_BASE_URL (unset it to use https://sandbox.plaid.com)", Err: err}
	}
	if errors.Is(err, context.Canceled) {
		// The caller gave up (the app is stopping, or the step was abandoned): no network advice.
		return &CallError{Endpoint: endpoint, URL: baseURL, Cause: "cancelled before Plaid answered",
			Next: "run the step again if that was not meant", Err: err}
	}
	var uerr *url.Error
	var nerr net.Error
	if errors.As(err, &uerr) || errors.As(err, &nerr) || errors.Is(err, context.DeadlineExceeded) {
		where := baseURL
		if where == "" && uerr != nil {
			where = baseOf(uerr.URL)
		}
		if where == "" {
			where = "its URL"
		}
		cause := "cannot reach Plaid at " + where + ": " + innermost(err)
		if nerr != nil && nerr.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			cause = "Plaid at " + where + " did not answer in time: " + innermost(err)
		}
		return &CallError{Endpoint: endpoint, URL: baseURL, Cause: cause,
			Next: "check your network or PLAID_BASE_URL", Err: err}
	}
	return &CallError{Endpoint: endpoint, URL: baseURL, Cause: err.Error(),
		Next: "check your network or PLAID_BASE_URL", Err: err}
}

// httpStatus is resp's status code, 0 without one.
func httpStatus(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// ErrorRecord describes err as the fields of an "error" record: step, message, hint and, for a
// Plaid error, code, type, request_id and http_status. The TUI can show the same fields.
func ErrorRecord(step string, err error) Record {
	r := Record{"event": "error", "step": step, "message": err.Error()}
	var pe *PlaidError
	if errors.As(err, &pe) {
		r["code"] = pe.Code
		r["error_type"] = pe.Type
		r["message"] = pe.Message
		r["endpoint"] = pe.Endpoint
		if pe.RequestID != "" {
			r["request_id"] = pe.RequestID
		}
		if pe.HTTPStatus != 0 {
			r["http_status"] = pe.HTTPStatus
		}
	}
	var h Hinter
	switch {
	case errors.As(err, &h):
		r["hint"] = h.Hint()
	case tunnelNext(err) != "":
		r["hint"] = tunnelNext(err)
	case stepHints[step] != "":
		r["hint"] = stepHints[step]
	default:
		r["hint"] = "see the message; then run the half again"
	}
	// Errors that carry their next step also end their message with it: say it once, as the hint.
	if msg, _ := r["message"].(string); msg != "" {
		r["message"] = strings.TrimSuffix(msg, "; "+r["hint"].(string))
	}
	return r
}

// stepHints are the next steps for errors that carry none of their own, by step.
var stepHints = map[string]string{
	"start":   "fix the options named in the message and run again",
	"auto":    "the emulator could not finish the session by itself: run again, or open hosted_link_url in a browser",
	"restore": "run half 1 again and opt in to the recovery e-mail before restoring the institution",
	"session": "create a new link token and follow the half's steps in Link",
	"wait":    "open the hosted_link_url and finish the session (or use --auto in demo mode)",
}

// leadingStatus reads the status code plaid-go puts first in its error text ("400 Bad Request").
func leadingStatus(s string) int {
	if len(s) < 3 {
		return 0
	}
	n, err := strconv.Atoi(s[:3])
	if err != nil || n < 100 || n > 599 {
		return 0
	}
	return n
}

// snippet is the start of a response body that was not a Plaid error, for the message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	const max = 120
	if len(s) > max {
		s = s[:max]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

// baseOf strips the path from a request URL, leaving the base URL the user configured.
func baseOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// innermost is the most specific error text (e.g. "connection refused"), without the Go request dump.
func innermost(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) && uerr.Err != nil {
		return uerr.Err.Error()
	}
	return err.Error()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
