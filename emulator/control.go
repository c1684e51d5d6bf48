package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
)

// serveControl serves the emulator's own endpoints under /emulator. They have no authentication (it
// is a local tool) and never show the secret.
func (e *Emulator) serveControl(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/emulator" && isGet(r):
		e.renderControl(w, "index", "Home")
	case path == "/emulator/inbox" && isGet(r):
		e.renderControl(w, "inbox", "Recovery inbox")
	case path == "/emulator/inbox.json" && isGet(r):
		emails := e.Inbox()
		if emails == nil {
			emails = []Email{}
		}
		writeJSON(w, http.StatusOK, emails)
	case path == "/emulator/deliveries.json" && isGet(r):
		writeJSON(w, http.StatusOK, deliveriesJSON(e.Deliveries()))
	case path == "/emulator/institutions/restore" && r.Method == http.MethodPost:
		e.controlRestore(w, r)
	case path == "/emulator/faults" && r.Method == http.MethodPost:
		e.controlFault(w, r)
	case path == "/emulator/faults" && r.Method == http.MethodDelete:
		e.ClearFaults()
		writeJSON(w, http.StatusOK, map[string]any{"cleared": true})
	case path == "/emulator/webhook_faults" && r.Method == http.MethodPost:
		e.controlWebhookFault(w, r)
	default:
		writeError(w, &plaidError{Status: http.StatusNotFound, ErrorType: "INVALID_REQUEST", ErrorCode: "NOT_FOUND",
			ErrorMessage: fmt.Sprintf("%s %s is not an emulator control endpoint; see GET /emulator", r.Method, r.URL.Path)}, "")
	}
}

func isGet(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }

func isJSON(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json"
}

// readControlJSON decodes a control request body strictly, so a misspelt field is an error rather
// than a silently ignored fault.
func readControlJSON(r *http.Request, v any) *plaidError {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errInvalidBody("the request body is not the JSON object this endpoint takes (" + err.Error() + "); see GET /emulator")
	}
	return nil
}

func (e *Emulator) controlRestore(w http.ResponseWriter, r *http.Request) {
	var inst string
	if isJSON(r) {
		var req struct {
			InstitutionID string `json:"institution_id"`
		}
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(http.MaxBytesReader(nil, r.Body, 64<<10))
		if len(bytes.TrimSpace(body.Bytes())) > 0 { // an empty body means "every institution"
			if err := json.Unmarshal(body.Bytes(), &req); err != nil {
				writeError(w, errInvalidBody("send {\"institution_id\": \"ins_109508\"} or {} for every institution: "+err.Error()), "")
				return
			}
		}
		inst = req.InstitutionID
	} else {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "The form could not be read: "+err.Error(), http.StatusBadRequest)
			return
		}
		inst = r.PostForm.Get("institution_id")
	}
	emails, err := e.RestoreInstitution(inst)
	if err != nil {
		writeError(w, errInvalidInput("INVALID_INSTITUTION", strings.TrimPrefix(err.Error(), "emulator: ")), "")
		return
	}
	if !isJSON(r) {
		// A button on a page: show the inbox with the new e-mails (Post/Redirect/Get).
		http.Redirect(w, r, "/emulator/inbox", http.StatusSeeOther)
		return
	}
	if emails == nil {
		emails = []Email{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"restored": inst, "emails": emails})
}

func (e *Emulator) controlFault(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Path         string `json:"path"`
		Count        int    `json:"count"`
		HTTPStatus   int    `json:"http_status"`
		ErrorType    string `json:"error_type"`
		ErrorCode    string `json:"error_code"`
		ErrorMessage string `json:"error_message"`
		DelayMS      int64  `json:"delay_ms"`
	}
	if pe := readControlJSON(r, &req); pe != nil {
		writeError(w, pe, "")
		return
	}
	f := Fault{Path: req.Path, Count: req.Count, HTTPStatus: req.HTTPStatus, ErrorType: req.ErrorType,
		ErrorCode: req.ErrorCode, ErrorMessage: req.ErrorMessage, Delay: time.Duration(req.DelayMS) * time.Millisecond}
	if err := e.AddFault(f); err != nil {
		writeError(w, errInvalidField(strings.TrimPrefix(err.Error(), "emulator: ")), "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"queued": true})
}

func (e *Emulator) controlWebhookFault(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Drop      int   `json:"drop"`
		Duplicate int   `json:"duplicate"`
		DelayMS   int64 `json:"delay_ms"`
	}
	if pe := readControlJSON(r, &req); pe != nil {
		writeError(w, pe, "")
		return
	}
	if req.Drop < 0 || req.Duplicate < 0 || req.DelayMS < 0 {
		writeError(w, errInvalidField("drop, duplicate and delay_ms must not be negative"), "")
		return
	}
	e.SetWebhookFault(WebhookFault{Drop: req.Drop, Duplicate: req.Duplicate, Delay: time.Duration(req.DelayMS) * time.Millisecond})
	writeJSON(w, http.StatusOK, map[string]any{"set": true})
}

func deliveriesJSON(ds []Delivery) []map[string]any {
	out := []map[string]any{}
	for _, d := range ds {
		m := map[string]any{
			"id": d.ID, "url": d.URL, "webhook_type": d.WebhookType, "webhook_code": d.WebhookCode,
			"link_session_id": d.LinkSessionID, "state": d.State, "attempts": d.Attempts,
			"status_code": d.StatusCode, "error": d.Err, "duplicated": d.Duplicated,
			"queued_at": d.QueuedAt, "body": json.RawMessage(d.Body),
		}
		if !d.DoneAt.IsZero() {
			m["done_at"] = d.DoneAt
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
}

func (e *Emulator) renderControl(w http.ResponseWriter, page, title string) {
	data := controlData{Page: page, Title: title, ClientID: e.clientID, Down: e.DownInstitutions(),
		OptIns: e.OptIns(), Emails: e.Inbox(), Paths: APIPaths()}
	var buf bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&buf, "control", data); err != nil {
		http.Error(w, "The emulator could not render this page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
