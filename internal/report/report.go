// Package report renders one run of a Link Recovery scenario as a Markdown report: the checklist
// with the time of each step, the verdict, the Item, a Mermaid sequence diagram of what really
// happened and the bodies of the calls and webhooks.
//
// The input is a plain Run, filled from the core's typed events by a thin adapter (one Event per
// Plaid call, webhook, page step, e-mail or fallback, in the order they happened), so this package
// knows neither the core nor the UI. Whatever a Run holds came from outside the process: the
// renderer masks every token and secret it can see (secret.Mask, secret.Scrub and a token pattern),
// makes the text inert for Markdown and Mermaid, and bounds what it writes.
package report

import (
	"bytes"
	"time"
)

// Mode is where the run's Plaid calls went.
type Mode string

const (
	ModeDemo    Mode = "demo"    // the built-in Plaid Sandbox emulator
	ModeSandbox Mode = "sandbox" // the real Plaid Sandbox
)

// MaxEvents is how many events Add keeps; later ones are counted in Run.Dropped. A run flooded with
// webhooks keeps a bounded report.
const MaxEvents = 2000

// MaxBody is how many bytes of a body Add keeps; the rest is cut (and the report says so).
const MaxBody = 64 << 10

// Run is one run of a scenario, as the report shows it.
type Run struct {
	Scenario string // the scenario's name: "signup", "session", …
	Title    string // its title on screen ("Half 1 · Sign-up"); "" shows Scenario
	Mode     Mode
	PlaidURL string // where the Plaid calls went
	Webhook  string // the webhook URL the link token carries

	Started time.Time
	Ended   time.Time // zero while the run goes on

	// LinkToken is the link token the run created first, in full or masked (it is shown masked):
	// the recovery session's SESSION_FINISHED arrives at its webhook.
	LinkToken string

	Checklist []Check
	Verdict   *Verdict // nil: the run has not ended
	Item      *Item    // the exchanged Item, if any

	Events  []Event // in the order they happened
	Dropped int     // events past MaxEvents that Add left out
}

// Check is one line of the scenario's checklist.
type Check struct {
	Text   string
	Done   bool
	Failed bool      // it ran and failed (an audit case): shown as such rather than as not done
	ByHand bool      // ticked by hand rather than reported by Plaid
	At     time.Time // when it was seen (zero: not yet)
}

// Verdict is how the run ended.
type Verdict struct {
	Passed bool
	Reason string // why it passed or failed, as the scenario says it
	Via    string // how the run learnt the session's end (and its public token, if any): "webhook" or "polling"
}

// learnt is what the run learnt by its verdict's Via: the public token, or, when no Item came (Leave
// Link passes on none), only how the session ended.
func (r Run) learnt() string {
	if r.Item != nil {
		return "public token"
	}
	return "session's end"
}

// Item is the Item the public token was exchanged for.
type Item struct {
	ItemID          string
	InstitutionID   string
	InstitutionName string
	Accounts        []Account
}

// Account is one account of the Item.
type Account struct {
	ID, Name, Mask, Type, Subtype string
	Balance                       *float64 // current balance, if Plaid gave one
}

// Event is one thing that happened in a run: a Call, Webhook, Page, Email, Fallback or Note (the
// interface is closed: its method is unexported).
type Event interface {
	at() time.Time
}

// Call is a Plaid API call (or, in demo mode, a call to the emulator's control API) and its answer.
type Call struct {
	At       time.Time // when it was sent
	Method   string    // "POST"
	Endpoint string    // "/link/token/create"
	Status   int       // the HTTP status; 0 when no answer came
	Duration time.Duration
	Request  []byte // the JSON request body, masked by the core (and again here)
	Response []byte // the JSON response body
	Err      string // why no answer came (a transport error)

	reqCut, respCut int // bytes Add cut off the bodies
}

// Webhook is a request the webhook receiver took, with its verdict.
type Webhook struct {
	At            time.Time
	Type, Code    string // webhook_type, webhook_code: "LINK", "SESSION_FINISHED"
	Status        string // SESSION_FINISHED's status: "SUCCESS", "EXITED"
	LinkToken     string // the link token it names, in full or masked
	LinkSessionID string
	PublicTokens  int    // how many public tokens it carried (never the tokens)
	Verified      bool   // its Plaid-Verification JWT checked out
	Duplicate     bool   // a body already seen
	Reason        string // why it was not verified
	Body          []byte // the JSON body

	cut int // bytes Add cut off the body
}

// Page is a step of the person in Hosted Link (the page contract's data-step: select, login,
// down, code, followed, accounts, success, exited), or a Link event standing for one.
type Page struct {
	At     time.Time
	Step   string
	Detail string // what the person chose or typed there (never a password that is not Sandbox's)
}

// Email is the recovery e-mail the emulator sent when the bank came back (demo mode).
type Email struct {
	At              time.Time
	To              string
	Subject         string
	InstitutionName string
}

// Fallback is the app giving up on the webhook and following the session by polling.
type Fallback struct {
	At     time.Time
	Reason string
}

// Note is any other fact worth a line in the diagram (the person left Link, a warning).
type Note struct {
	At   time.Time
	Text string
}

func (e Call) at() time.Time     { return e.At }
func (e Webhook) at() time.Time  { return e.At }
func (e Page) at() time.Time     { return e.At }
func (e Email) at() time.Time    { return e.At }
func (e Fallback) at() time.Time { return e.At }
func (e Note) at() time.Time     { return e.At }

// Add appends e, keeping at most MaxEvents events and MaxBody bytes of each body, so a run's
// memory stays bounded whatever arrives.
func (r *Run) Add(e Event) {
	if len(r.Events) >= MaxEvents {
		r.Dropped++
		return
	}
	switch x := e.(type) {
	case Call:
		x.Request, x.reqCut = capBody(x.Request)
		x.Response, x.respCut = capBody(x.Response)
		e = x
	case Webhook:
		x.Body, x.cut = capBody(x.Body)
		e = x
	}
	r.Events = append(r.Events, e)
}

// capBody copies at most MaxBody bytes of b (a copy, so the caller's buffer may be reused) and
// says how many it left out.
func capBody(b []byte) ([]byte, int) {
	if b == nil {
		return nil, 0
	}
	n := min(len(b), MaxBody)
	return append([]byte(nil), b[:n]...), len(b) - n
}

// Sessions tells the recovery's Link sessions from the ones before it, for the diagram and for
// runreport's checklist alike. A session is the recovery's when its first webhook came after the
// recovery e-mail, unless its verified EVENTS show the opt-in (ISSUE_FOLLOWED): that is the
// sign-up's outage session, whose webhooks can also come after the e-mail when the walk is paced
// page by page. The zero value is ready to use.
type Sessions struct {
	emailed bool
	before  map[string]bool // sessions known not to be the recovery's
}

// Emailed notes that the recovery e-mail went out.
func (s *Sessions) Emailed() { s.emailed = true }

// Recovery takes webhook w, in the order webhooks came, and says whether it belongs to the
// recovery's session: it came after the e-mail, from a session not known to be an earlier one. A
// webhook without a link_session_id after the e-mail counts as the recovery's.
func (s *Sessions) Recovery(w Webhook) bool {
	optedIn := w.Verified && w.Code == "EVENTS" && bytes.Contains(w.Body, []byte(`"ISSUE_FOLLOWED"`))
	if w.LinkSessionID != "" && (!s.emailed || optedIn) {
		if s.before == nil {
			s.before = map[string]bool{}
		}
		s.before[w.LinkSessionID] = true
	}
	return s.emailed && !s.before[w.LinkSessionID]
}
