package emulator

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// serveControl serves the emulator's own endpoints under /emulator. Every request must name the
// emulator in its Host header (guard.go); machine endpoints take the emulator's API keys and JSON
// only; the human pages' one form carries the per-process token. The secret is never shown.
func (e *Emulator) serveControl(w http.ResponseWriter, r *http.Request) {
	if !e.hostAllowed(r) {
		e.refuseHost(w, r)
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/emulator" && isGet(r):
		e.renderControl(w, r, "index", "Home")
	case path == "/emulator/inbox" && isGet(r):
		e.renderControl(w, r, "inbox", "Recovery inbox")
	case path == "/emulator/institutions/restore" && r.Method == http.MethodPost && !isJSON(r) && isForm(r):
		e.formRestore(w, r)
	default:
		e.serveMachine(w, r, path)
	}
}

// controlRoute is one machine control endpoint: it gets the authenticated body, keys removed.
type controlRoute func(e *Emulator, w http.ResponseWriter, body []byte)

var controlRoutes = map[string]controlRoute{
	"GET /emulator/inbox.json":            (*Emulator).controlInbox,
	"GET /emulator/deliveries.json":       (*Emulator).controlDeliveries,
	"POST /emulator/institutions/restore": (*Emulator).controlRestore,
	"POST /emulator/faults":               (*Emulator).controlFault,
	"DELETE /emulator/faults":             (*Emulator).controlClearFaults,
	"POST /emulator/webhook_faults":       (*Emulator).controlWebhookFault,
	"POST /emulator/exchanges":            (*Emulator).controlExchanges,
	"POST /emulator/webhook/sign":         (*Emulator).controlSign,
	"POST /emulator/clock":                (*Emulator).controlClock,
	"POST /emulator/expire":               (*Emulator).controlExpire,
}

// serveMachine authenticates a machine control request, then runs its endpoint.
func (e *Emulator) serveMachine(w http.ResponseWriter, r *http.Request, path string) {
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	route, ok := controlRoutes[method+" "+path]
	if !ok {
		writeError(w, &plaidError{Status: http.StatusNotFound, ErrorType: "INVALID_REQUEST", ErrorCode: "NOT_FOUND",
			ErrorMessage: fmt.Sprintf("%s %s is not an emulator control endpoint; see GET /emulator", r.Method, r.URL.Path)}, "")
		return
	}
	body, pe := e.authControl(r)
	if pe != nil {
		writeError(w, pe, "")
		return
	}
	route(e, w, body)
}

func isGet(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

// mediaType is r's Content-Type without its parameters ("" when there is none or it is malformed).
func mediaType(r *http.Request) string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt
}

func isJSON(r *http.Request) bool { return mediaType(r) == "application/json" }

func isForm(r *http.Request) bool {
	mt := mediaType(r)
	return mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data"
}

func (e *Emulator) controlInbox(w http.ResponseWriter, _ []byte) {
	emails := e.Inbox()
	if emails == nil {
		emails = []Email{}
	}
	writeJSON(w, http.StatusOK, emails)
}

func (e *Emulator) controlDeliveries(w http.ResponseWriter, _ []byte) {
	writeJSON(w, http.StatusOK, deliveriesJSON(e.Deliveries()))
}

func (e *Emulator) controlClearFaults(w http.ResponseWriter, _ []byte) {
	e.ClearFaults()
	writeJSON(w, http.StatusOK, map[string]any{"cleared": true})
}

// formRestore is the "bring institutions back" button on the emulator's own pages.
func (e *Emulator) formRestore(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxControlBody)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The form could not be read: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !e.checkHumanForm(w, r) {
		return
	}
	if _, err := e.RestoreInstitution(r.PostForm.Get("institution_id")); err != nil {
		http.Error(w, strings.TrimPrefix(err.Error(), "emulator: "), http.StatusBadRequest)
		return
	}
	// Show the inbox with the new e-mails (Post/Redirect/Get), still holding the control link.
	http.Redirect(w, r, "/emulator/inbox?control="+url.QueryEscape(e.formToken), http.StatusSeeOther)
}

func (e *Emulator) controlRestore(w http.ResponseWriter, body []byte) {
	var req struct {
		InstitutionID string `json:"institution_id"`
	}
	// An empty body (or {}) means "every institution".
	if pe := decodeControl(body, &req); pe != nil {
		pe.ErrorMessage = "send {\"institution_id\": \"ins_109508\"} or {} for every institution: " + pe.ErrorMessage
		writeError(w, pe, "")
		return
	}
	emails, err := e.RestoreInstitution(req.InstitutionID)
	if err != nil {
		writeError(w, errInvalidInput("INVALID_INSTITUTION", strings.TrimPrefix(err.Error(), "emulator: ")), "")
		return
	}
	if emails == nil {
		emails = []Email{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"restored": req.InstitutionID, "emails": emails})
}

// decodeDelayed decodes a fault request into req and reads its delay_ms (a field of req); when
// either is wrong it has answered with the error.
func decodeDelayed(w http.ResponseWriter, body []byte, req any, delayMS *json.RawMessage) (time.Duration, bool) {
	if pe := decodeControl(body, req); pe != nil {
		writeError(w, pe, "")
		return 0, false
	}
	delay, err := parseDelayMS(*delayMS)
	if err != nil {
		writeError(w, errInvalidField(err.Error()), "")
		return 0, false
	}
	return delay, true
}

func (e *Emulator) controlFault(w http.ResponseWriter, body []byte) {
	var req struct {
		Path         string          `json:"path"`
		Count        int             `json:"count"`
		HTTPStatus   int             `json:"http_status"`
		ErrorType    string          `json:"error_type"`
		ErrorCode    string          `json:"error_code"`
		ErrorMessage string          `json:"error_message"`
		DelayMS      json.RawMessage `json:"delay_ms"`
	}
	delay, ok := decodeDelayed(w, body, &req, &req.DelayMS)
	if !ok {
		return
	}
	f := Fault{Path: req.Path, Count: req.Count, HTTPStatus: req.HTTPStatus, ErrorType: req.ErrorType,
		ErrorCode: req.ErrorCode, ErrorMessage: req.ErrorMessage, Delay: delay}
	if err := e.AddFault(f); err != nil {
		writeError(w, errInvalidField(strings.TrimPrefix(err.Error(), "emulator: ")), "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"queued": true})
}

func (e *Emulator) controlWebhookFault(w http.ResponseWriter, body []byte) {
	var req struct {
		Drop      int             `json:"drop"`
		Duplicate int             `json:"duplicate"`
		DelayMS   json.RawMessage `json:"delay_ms"`
	}
	delay, ok := decodeDelayed(w, body, &req, &req.DelayMS)
	if !ok {
		return
	}
	if req.Drop < 0 || req.Duplicate < 0 {
		writeError(w, errInvalidField("drop, duplicate and delay_ms must not be negative"), "")
		return
	}
	e.SetWebhookFault(WebhookFault{Drop: req.Drop, Duplicate: req.Duplicate, Delay: delay})
	writeJSON(w, http.StatusOK, map[string]any{"set": true})
}

func deliveriesJSON(ds []Delivery) []map[string]any {
	out := []map[string]any{}
	for _, d := range ds {
		m := map[string]any{
			"id": d.ID, "url": d.URL, "webhook_type": d.WebhookType, "webhook_code": d.WebhookCode,
			"link_session_id": d.LinkSessionID, "state": d.State, "attempts": d.Attempts,
			"status_code": d.StatusCode, "error": d.Err, "duplicated": d.Duplicated,
			"queued_at": d.QueuedAt, "body": maskedBody(d.Body),
		}
		if !d.DoneAt.IsZero() {
			m["done_at"] = d.DoneAt
		}
		// Each attempt, on the emulator's clock, and when the next retry falls due.
		log := []map[string]any{}
		for _, a := range d.AttemptLog {
			log = append(log, map[string]any{"at": a.At, "status_code": a.StatusCode, "error": a.Err})
		}
		m["attempt_log"] = log
		if !d.NextAttemptAt.IsZero() {
			m["next_attempt_at"] = d.NextAttemptAt
		}
		out = append(out, m)
	}
	return out
}

type controlData struct {
	Page     string
	Title    string
	ClientID string
	Down     []string
	OptIns   int
	Emails   []Email
	Paths    []string
	// FormToken is the per-process token the page's forms carry (see checkHumanForm), or "" when
	// the request did not come through the control link, and the page then has no button.
	FormToken string
}

// controlParam is the query parameter of the control link (ControlURL).
const controlParam = "control"

// ControlURL is the recovery inbox page with the control link's token: the one address whose page
// carries the "bring institutions back" button. Hand it only to the person at the browser (the
// `linkrecovery emulator` console prints it): the pages at /emulator without it show no button, so
// neither another local program nor, with --public-host, a visitor on the LAN can restore an
// institution and trigger the recovery e-mails without the API keys.
func (e *Emulator) ControlURL() string {
	return e.BaseURL() + "/emulator/inbox?" + controlParam + "=" + url.QueryEscape(e.formToken)
}

// hasControl reports whether r came through the control link.
func (e *Emulator) hasControl(r *http.Request) bool {
	return subtle.ConstantTimeCompare([]byte(r.URL.Query().Get(controlParam)), []byte(e.formToken)) == 1
}

func (e *Emulator) renderControl(w http.ResponseWriter, r *http.Request, page, title string) {
	data := controlData{Page: page, Title: title, ClientID: e.clientID, Down: e.DownInstitutions(),
		OptIns: e.OptIns(), Emails: e.Inbox(), Paths: APIPaths()}
	if e.hasControl(r) {
		data.FormToken = e.formToken
	}
	var buf bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&buf, "control", data); err != nil {
		http.Error(w, "The emulator could not render this page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	setPageSecurityHeaders(w.Header(), buf.Bytes())
	_, _ = w.Write(buf.Bytes())
}

// controlClock is POST /emulator/clock {"advance_seconds": N}: Advance, then the emulator's time.
// {} (or no body) moves nothing and says what time it is.
func (e *Emulator) controlClock(w http.ResponseWriter, body []byte) {
	var req struct {
		AdvanceSeconds json.RawMessage `json:"advance_seconds"`
	}
	if pe := decodeControl(body, &req); pe != nil {
		pe.ErrorMessage = `send {"advance_seconds": 1800}: ` + pe.ErrorMessage
		writeError(w, pe, "")
		return
	}
	var secs float64
	if raw := strings.TrimSpace(string(req.AdvanceSeconds)); raw != "" && raw != "null" {
		maxS := MaxAdvance.Seconds()
		if err := json.Unmarshal(req.AdvanceSeconds, &secs); err != nil || math.IsNaN(secs) || secs < 0 || secs > maxS {
			writeError(w, errInvalidField(fmt.Sprintf("advance_seconds must be a number of seconds from 0 to %.0f (366 days), got %s", maxS, raw)), "")
			return
		}
	}
	d := time.Duration(secs * float64(time.Second))
	now := e.Advance(d)
	writeJSON(w, http.StatusOK, map[string]any{"advanced_seconds": d.Seconds(), "now": now.UTC().Format(time.RFC3339Nano)})
}

// controlExpire is POST /emulator/expire {"token": "..."}: Expire.
func (e *Emulator) controlExpire(w http.ResponseWriter, body []byte) {
	var req struct {
		Token string `json:"token"`
	}
	if pe := decodeControl(body, &req); pe != nil {
		pe.ErrorMessage = `send {"token": "<link token, hosted_link_url or public token>"}: ` + pe.ErrorMessage
		writeError(w, pe, "")
		return
	}
	if req.Token == "" {
		writeError(w, errMissingField("token"), "")
		return
	}
	kind, err := e.Expire(req.Token)
	if err != nil {
		writeError(w, errInvalidField(strings.TrimPrefix(err.Error(), "emulator: ")), "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"expired": kind, "now": e.Now().UTC().Format(time.RFC3339Nano)})
}
