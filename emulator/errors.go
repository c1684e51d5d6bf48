package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// plaidError is an API error in Plaid's shape. It is also a Go error so the transition functions and
// handlers can return it and let one place write it out.
type plaidError struct {
	Status         int
	ErrorType      string
	ErrorCode      string
	ErrorMessage   string
	DisplayMessage string // "" is rendered as null, as Plaid does for developer-facing errors
}

func (e *plaidError) Error() string {
	return fmt.Sprintf("%s (%s): %s", e.ErrorCode, e.ErrorType, e.ErrorMessage)
}

// body renders the error as Plaid's API does: the required fields plus the documentation link, with
// the nullable ones present as null. (Plaid puts "status" in the body only for webhook errors.)
func (e *plaidError) body(requestID string) map[string]any {
	m := map[string]any{
		"error_type":        e.ErrorType,
		"error_code":        e.ErrorCode,
		"error_code_reason": nil,
		"error_message":     e.ErrorMessage,
		"display_message":   nil,
		"documentation_url": docURL(e.ErrorType),
		"suggested_action":  nil,
	}
	if e.DisplayMessage != "" {
		m["display_message"] = e.DisplayMessage
	}
	if requestID != "" {
		m["request_id"] = requestID
	}
	return m
}

// docURL is the documentation_url Plaid's live API puts in an error body: its docs page with the
// error type's section as the anchor, e.g. "https://plaid.com/docs/?ref=error#invalid-input-errors"
// for INVALID_INPUT, "#invalid-request-errors", "#item-errors" for ITEM_ERROR. Every type follows
// the same rule, so an error_type a fault makes up gets a link of the same form.
func docURL(errorType string) string {
	section := strings.TrimSuffix(strings.ToLower(errorType), "_error")
	section = strings.ReplaceAll(section, "_", "-")
	if section == "" {
		return "https://plaid.com/docs/?ref=error"
	}
	return "https://plaid.com/docs/?ref=error#" + section + "-errors"
}

// statusForType is the HTTP status Plaid pairs with an error_type when no better one is known.
func statusForType(errorType string) int {
	switch errorType {
	case "RATE_LIMIT_EXCEEDED":
		return http.StatusTooManyRequests
	case "API_ERROR":
		return http.StatusInternalServerError
	case "":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func errInvalidAPIKeys(msg string) *plaidError {
	return &plaidError{Status: 400, ErrorType: "INVALID_INPUT", ErrorCode: "INVALID_API_KEYS", ErrorMessage: msg}
}

func errInvalidField(msg string) *plaidError {
	return &plaidError{Status: 400, ErrorType: "INVALID_REQUEST", ErrorCode: "INVALID_FIELD", ErrorMessage: msg}
}

// errMissingField is Plaid's MISSING_FIELDS, naming every missing field as Plaid's message does
// ("the following required fields are missing: ...").
func errMissingField(fields ...string) *plaidError {
	return &plaidError{Status: 400, ErrorType: "INVALID_REQUEST", ErrorCode: "MISSING_FIELDS",
		ErrorMessage: "the following required fields are missing: " + strings.Join(fields, ", ")}
}

// errUnknownFields is Plaid's UNKNOWN_FIELDS for fields the endpoint does not take.
func errUnknownFields(fields ...string) *plaidError {
	return &plaidError{Status: 400, ErrorType: "INVALID_REQUEST", ErrorCode: "UNKNOWN_FIELDS",
		ErrorMessage: "the following fields are not recognized by this endpoint: " + strings.Join(fields, ", ")}
}

// errInvalidProduct is Plaid's INVALID_PRODUCT (an INVALID_INPUT error) for a product that does not
// exist or cannot be requested where it was.
func errInvalidProduct(msg string) *plaidError {
	return &plaidError{Status: 400, ErrorType: "INVALID_INPUT", ErrorCode: "INVALID_PRODUCT", ErrorMessage: msg}
}

// errSandbox is one of Plaid's Sandbox-only errors, whose error_type is SANDBOX_ERROR.
func errSandbox(code, msg string) *plaidError {
	return &plaidError{Status: 400, ErrorType: "SANDBOX_ERROR", ErrorCode: code, ErrorMessage: msg}
}

func errInvalidBody(msg string) *plaidError {
	return &plaidError{Status: 400, ErrorType: "INVALID_REQUEST", ErrorCode: "INVALID_BODY", ErrorMessage: msg}
}

func errInvalidInput(code, msg string) *plaidError {
	return &plaidError{Status: 400, ErrorType: "INVALID_INPUT", ErrorCode: code, ErrorMessage: msg}
}

func errNotFound(path string) *plaidError {
	return &plaidError{Status: 404, ErrorType: "INVALID_REQUEST", ErrorCode: "NOT_FOUND",
		ErrorMessage: fmt.Sprintf("not found: %s is not an endpoint this emulator serves; see GET /emulator for the list", path)}
}

// errInstitutionDown is INSTITUTION_DOWN with the texts of Plaid's institution-errors page:
// error_message "this institution is not currently responding to this request. please try again
// soon", display_message "This financial institution is not currently responding to requests. We
// apologize for the inconvenience."
func errInstitutionDown() *plaidError {
	return &plaidError{Status: 400, ErrorType: "INSTITUTION_ERROR", ErrorCode: "INSTITUTION_DOWN",
		ErrorMessage:   "this institution is not currently responding to this request. please try again soon",
		DisplayMessage: "This financial institution is not currently responding to requests. We apologize for the inconvenience."}
}

func errInvalidCredentials() *plaidError {
	return &plaidError{Status: 400, ErrorType: "ITEM_ERROR", ErrorCode: "INVALID_CREDENTIALS",
		ErrorMessage:   "the provided credentials were not correct",
		DisplayMessage: "The credentials you provided were incorrect. Check that your credentials are the same that you use for this institution"}
}

// writeJSON writes v as the response body with Plaid's content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only emulator bugs get here; answer in Plaid's shape anyway so clients still decode it.
		status = http.StatusInternalServerError
		b, _ = json.Marshal((&plaidError{Status: 500, ErrorType: "API_ERROR", ErrorCode: "INTERNAL_SERVER_ERROR",
			ErrorMessage: "the emulator could not encode its response: " + err.Error()}).body(""))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, e *plaidError, requestID string) {
	status := e.Status
	if status == 0 {
		status = statusForType(e.ErrorType)
	}
	writeJSON(w, status, e.body(requestID))
}
