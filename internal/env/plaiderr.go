package env

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

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// plaid-go's errors, turned into the core's: a *flows.PlaidError when Plaid answered with an
// error body, a *flows.CallError when nothing (or something that is not Plaid) answered.

// AsPlaidError turns an error from a plaid-go call to endpoint into a *flows.PlaidError (Plaid answered
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
	var pe *flows.PlaidError
	if errors.As(err, &pe) {
		return err
	}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	var ae *AnswerError
	if errors.As(err, &ae) {
		// A redirect or an oversized answer: something that is not Plaid's API answered.
		return &flows.CallError{Endpoint: endpoint, URL: baseURL, HTTPStatus: status, Cause: ae.Cause,
			Next: "check PLAID_BASE_URL (unset it to use https://sandbox.plaid.com)", Err: err}
	}
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
			p := &flows.PlaidError{
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
		return &flows.CallError{Endpoint: endpoint, URL: baseURL, HTTPStatus: status, Cause: secret.Scrub(cause),
			Next: "check PLAID_BASE_URL (unset it to use https://sandbox.plaid.com)", Err: err}
	}
	if errors.Is(err, context.Canceled) {
		// The caller gave up (the app is stopping, or the step was abandoned): no network advice.
		return &flows.CallError{Endpoint: endpoint, URL: baseURL, Cause: "cancelled before Plaid answered",
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
		return &flows.CallError{Endpoint: endpoint, URL: baseURL, Cause: cause,
			Next: "check your network or PLAID_BASE_URL", Err: err}
	}
	return &flows.CallError{Endpoint: endpoint, URL: baseURL, Cause: err.Error(),
		Next: "check your network or PLAID_BASE_URL", Err: err}
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
