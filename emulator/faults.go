package emulator

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// MaxFaultDelay is the longest delay a fault may add: long enough to outlast any client timeout,
// short enough that a mistyped value cannot park a request (and a goroutine) for days.
const MaxFaultDelay = 10 * time.Minute

// parseDelayMS reads a delay_ms field: a number of milliseconds from 0 to MaxFaultDelay. It is
// checked as a float first, so 1e30 or a huge integer is refused rather than overflowing
// time.Duration into a negative or tiny delay.
func parseDelayMS(raw json.RawMessage) (time.Duration, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, nil
	}
	maxMS := float64(MaxFaultDelay / time.Millisecond)
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil || math.IsNaN(ms) || ms < 0 || ms > maxMS {
		return 0, fmt.Errorf("delay_ms must be a number of milliseconds from 0 to %.0f (10 minutes), got %s", maxMS, s)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// Fault makes the next Count calls to an API path fail or slow down.
// HTTP: POST /emulator/faults with the same fields in snake_case.
type Fault struct {
	Path         string // e.g. "/link/token/create"
	Count        int    // how many calls it applies to (0 means 1)
	HTTPStatus   int    // if set with no ErrorCode, a bare status with a Plaid API_ERROR body
	ErrorType    string // Plaid error_type, e.g. "API_ERROR"
	ErrorCode    string // Plaid error_code, e.g. "INTERNAL_SERVER_ERROR"
	ErrorMessage string
	Delay        time.Duration // added before the response (or the error)
}

// WebhookFault changes how the next webhooks are delivered.
// HTTP: POST /emulator/webhook_faults {"drop": N, "duplicate": N, "delay_ms": N}.
type WebhookFault struct {
	Drop      int           // the next Drop webhooks are not sent at all
	Duplicate int           // the next Duplicate webhooks are sent twice
	Delay     time.Duration // every webhook waits this long first
}

// InjectFault queues a fault. A fault that cannot apply (unknown path, nonsense status) is logged
// through Config.Logf and ignored; use AddFault to get the reason as an error.
func (e *Emulator) InjectFault(f Fault) {
	if err := e.AddFault(f); err != nil {
		e.logf("%v", err)
	}
}

// AddFault queues a fault, or says why it cannot: the path must be an endpoint the emulator serves,
// HTTPStatus a 4xx/5xx status, Count not negative and Delay from 0 to MaxFaultDelay.
func (e *Emulator) AddFault(f Fault) error {
	if !strings.HasPrefix(f.Path, "/") {
		f.Path = "/" + f.Path
	}
	if _, ok := apiRoutes[f.Path]; !ok {
		return fmt.Errorf("emulator: fault path %q is not an endpoint the emulator serves; use one of %s", f.Path, strings.Join(APIPaths(), ", "))
	}
	if f.Count < 0 {
		return fmt.Errorf("emulator: fault count must be 0 or more (0 means 1), got %d", f.Count)
	}
	if f.Delay < 0 || f.Delay > MaxFaultDelay {
		return fmt.Errorf("emulator: fault delay must be from 0 to %s, got %s", MaxFaultDelay, f.Delay)
	}
	if f.HTTPStatus != 0 && (f.HTTPStatus < 400 || f.HTTPStatus > 599) {
		return fmt.Errorf("emulator: fault http_status must be a 4xx or 5xx status, got %d", f.HTTPStatus)
	}
	if f.ErrorType != "" && f.ErrorCode == "" {
		return fmt.Errorf("emulator: fault error_type %q needs an error_code too (e.g. INTERNAL_SERVER_ERROR)", f.ErrorType)
	}
	if f.Count == 0 {
		f.Count = 1
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults[f.Path] = append(e.faults[f.Path], f)
	e.logf("fault queued: next %d call(s) of %s %s", f.Count, f.Path, f.describe())
	return nil
}

// ClearFaults removes every queued API fault and the webhook fault.
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.faults)
	e.whFault = WebhookFault{}
}

// takeFault uses up one call of the first fault queued for path.
func (e *Emulator) takeFault(path string) (Fault, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.faults[path]
	if len(q) == 0 {
		return Fault{}, false
	}
	f := q[0]
	q[0].Count--
	if q[0].Count <= 0 {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(e.faults, path)
	} else {
		e.faults[path] = q
	}
	return f, true
}

// plaidError is the error the fault answers with, or nil for a delay-only fault.
func (f Fault) plaidError() *plaidError {
	if f.ErrorCode == "" && f.HTTPStatus == 0 {
		return nil
	}
	pe := &plaidError{Status: f.HTTPStatus, ErrorType: f.ErrorType, ErrorCode: f.ErrorCode, ErrorMessage: f.ErrorMessage}
	if pe.ErrorCode == "" {
		pe.ErrorType, pe.ErrorCode = "API_ERROR", "INTERNAL_SERVER_ERROR"
		if pe.ErrorMessage == "" {
			pe.ErrorMessage = fmt.Sprintf("an unexpected error occurred (injected fault: HTTP %d)", f.HTTPStatus)
		}
	}
	if pe.ErrorType == "" {
		pe.ErrorType = "API_ERROR"
	}
	if pe.Status == 0 {
		pe.Status = statusForType(pe.ErrorType)
	}
	if pe.ErrorMessage == "" {
		pe.ErrorMessage = "injected fault: " + pe.ErrorCode
	}
	return pe
}

func (f Fault) describe() string {
	var parts []string
	if pe := f.plaidError(); pe != nil {
		parts = append(parts, fmt.Sprintf("fail with %s/%s (HTTP %d)", pe.ErrorType, pe.ErrorCode, pe.Status))
	}
	if f.Delay > 0 {
		parts = append(parts, "wait "+f.Delay.String())
	}
	if len(parts) == 0 {
		return "(no effect)"
	}
	return strings.Join(parts, " and ")
}
