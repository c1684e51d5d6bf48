package emulator

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

var pageTmpl = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// pageData is what the page template renders.
type pageData struct {
	pageView
	Title  string
	Action string
}

var stepTitles = map[step]string{
	stepSelect:   "Select your bank",
	stepLogin:    "Log in",
	stepAccounts: "Choose accounts",
	stepSuccess:  "Connected",
	stepDown:     "Bank unavailable",
	stepCode:     "Enter the code",
	stepFollowed: "We'll let you know",
	stepExited:   "No account connected",
	stepExpired:  "Link unavailable",
}

// servePage serves /hosted-link/{id}: GET shows the session's current page, POST submits its form.
func (e *Emulator) servePage(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/hosted-link/")
	var pv pageView
	switch r.Method {
	case http.MethodHead:
		pv = e.peek(id) // link previewers send HEAD: answer without starting a session
	case http.MethodGet:
		pv = e.view(id)
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "The form could not be read ("+err.Error()+"). Go back and submit it again.", http.StatusBadRequest)
			return
		}
		action := r.PostForm.Get("action")
		if action != actionExit {
			action = actionSubmit
		}
		pv = e.act(id, step(r.PostForm.Get("step")), action, r.PostForm)
		e.logf("POST /hosted-link/%s (%s on %s) → %s", id, action, r.PostForm.Get("step"), pv.Step)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "Hosted Link pages take GET and POST.", http.StatusMethodNotAllowed)
		return
	}
	status := http.StatusOK
	if pv.Step == stepExpired {
		status = http.StatusGone
	}
	e.render(w, status, pv)
}

func (e *Emulator) render(w http.ResponseWriter, status int, pv pageView) {
	data := pageData{pageView: pv, Title: stepTitles[pv.Step], Action: "/hosted-link/" + url.PathEscape(pv.HostedID)}
	var buf bytes.Buffer
	if err := pageTmpl.ExecuteTemplate(&buf, "page", data); err != nil {
		e.logf("emulator: rendering the %s page: %v", pv.Step, err)
		http.Error(w, "The emulator could not render this page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store") // every page is one moment of a session; never show a stale one
	setPageSecurityHeaders(h, buf.Bytes())
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Credentials drive a Hosted Link session without a browser (CompleteSession).
type Credentials struct {
	InstitutionID string // "" means DefaultInstitutionID
	Username      string
	Password      string
	// Email and Code complete the Link Recovery opt-in when the password is error_INSTITUTION_DOWN
	// (or the user is user_link_recovery). Empty means RecoveryEmail and RecoveryCode.
	Email string
	Code  string
	// Exit leaves Link at the first page instead of going on, as a person who walks away does: the
	// session ends EXITED (EVENTS with EXIT, then SESSION_FINISHED with no public token).
	Exit bool
}

// CompleteSession walks the Hosted Link session at hostedLinkURL through the same state machine the
// HTML pages use, as a user would (select institution, log in, pick all accounts, finish; or log in,
// see the outage and opt in; or leave at once with Exit). It is for --auto demos and smoke tests. It
// returns nil when the session ends in success, in a confirmed opt-in or, with Exit, exited, and an error naming the cause otherwise (unknown or
// expired link, wrong credentials, a rejected e-mail or code, a session that had already ended).
func (e *Emulator) CompleteSession(ctx context.Context, hostedLinkURL string, c Credentials) error {
	id, err := hostedLinkID(hostedLinkURL)
	if err != nil {
		return err
	}
	c = c.withDefaults()
	pv := e.view(id)
	if pv.Step.final() {
		return fmt.Errorf("emulator: the Link session at %s has already ended (%s); create a new link token", hostedLinkURL, pv.Step)
	}
	// Each pass submits the current page; a session has at most five pages before it ends.
	for range 10 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("emulator: completing the Link session: %w", err)
		}
		switch pv.Step {
		case stepSuccess, stepFollowed:
			return nil
		case stepExited:
			if c.Exit {
				return nil
			}
			return fmt.Errorf("emulator: the Link session at %s ended without an Item (exited)", hostedLinkURL)
		}
		if pv, err = e.submitPage(id, hostedLinkURL, pv, c); err != nil {
			return err
		}
	}
	return fmt.Errorf("emulator: the Link session at %s did not finish (stuck on %s)", hostedLinkURL, pv.Step)
}

// PageStep is one page of a Hosted Link session that StepSession submitted.
type PageStep struct {
	// From is the page submitted: select (choose the bank), login, accounts, down (the outage and
	// its e-mail opt-in form), code. To is the page the session is on now.
	From, To string
	// Ended says the session has ended (To is success, followed or exited): its webhooks are queued.
	Ended bool
}

// StepSession submits the current page of the Hosted Link session at hostedLinkURL, one page only,
// as a person with c would, through the same state machine the HTML pages and CompleteSession use;
// a walk is StepSession until Ended. A presenter uses it to show each page as it happens. It opens
// the session first when nobody has (as a browser's first GET does). It fails, naming the cause,
// when the link is unknown or expired, the session has already ended, or the page refused c.
func (e *Emulator) StepSession(ctx context.Context, hostedLinkURL string, c Credentials) (PageStep, error) {
	id, err := hostedLinkID(hostedLinkURL)
	if err != nil {
		return PageStep{}, err
	}
	if err := ctx.Err(); err != nil {
		return PageStep{}, fmt.Errorf("emulator: stepping the Link session: %w", err)
	}
	pv := e.view(id)
	if pv.Step.final() {
		return PageStep{}, fmt.Errorf("emulator: the Link session at %s has already ended (%s); create a new link token", hostedLinkURL, pv.Step)
	}
	from := pv.Step
	pv, err = e.submitPage(id, hostedLinkURL, pv, c.withDefaults())
	if err != nil {
		return PageStep{}, err
	}
	return PageStep{From: string(from), To: string(pv.Step), Ended: pv.Step.final()}, nil
}

// hostedLinkID is the session id in a hosted_link_url of this emulator.
func hostedLinkID(hostedLinkURL string) (string, error) {
	u, err := url.Parse(hostedLinkURL)
	if err != nil {
		return "", fmt.Errorf("emulator: %q is not a hosted_link_url: %w", hostedLinkURL, err)
	}
	id, ok := strings.CutPrefix(u.Path, "/hosted-link/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", fmt.Errorf("emulator: %q is not a hosted_link_url of this emulator (expected …/hosted-link/<id>)", hostedLinkURL)
	}
	return id, nil
}

func (c Credentials) withDefaults() Credentials {
	if c.InstitutionID == "" {
		c.InstitutionID = DefaultInstitutionID
	}
	if c.Email == "" {
		c.Email = RecoveryEmail
	}
	if c.Code == "" {
		c.Code = RecoveryCode
	}
	return c
}

// submitPage submits page pv of session id with c, as its form would, and returns the next page;
// an error when the link is expired or the page refused c.
func (e *Emulator) submitPage(id, hostedLinkURL string, pv pageView, c Credentials) (pageView, error) {
	from := pv.Step
	if c.Exit && !from.final() && from != stepExpired {
		return e.act(id, from, actionExit, nil), nil
	}
	switch from {
	case stepExpired:
		return pv, fmt.Errorf("emulator: cannot complete the Link session at %s: %s", hostedLinkURL, pv.Reason)
	case stepSelect:
		pv = e.act(id, from, actionSubmit, url.Values{"institution_id": {c.InstitutionID}})
	case stepLogin:
		pv = e.act(id, from, actionSubmit, url.Values{"username": {c.Username}, "password": {c.Password}})
	case stepAccounts:
		form := url.Values{}
		for _, a := range pv.Accounts {
			form.Add("account_id", a.ID)
		}
		pv = e.act(id, from, actionSubmit, form)
	case stepDown:
		pv = e.act(id, from, actionSubmit, url.Values{"email": {c.Email}})
	case stepCode:
		pv = e.act(id, from, actionSubmit, url.Values{"code": {c.Code}})
	}
	if pv.Error != nil && pv.Step == from {
		return pv, fmt.Errorf("emulator: Link rejected the %s step: %s: %s", from, pv.Error.Code, pv.Error.Message)
	}
	return pv, nil
}
