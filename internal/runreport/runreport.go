// Package runreport turns a run's typed events (flows.Event, the same ones the TUI and the
// headless records render) into a report.Run: the fourth rendering of one event stream, next to
// the records, the screens and the presenter view. It is fed one event at a time, in order
// (env.RunOptions.OnEvent headless, the root model's emitted events in the TUI), and is not safe
// for concurrent use: each driver feeds it from the one goroutine that steps its run.
package runreport

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/report"
)

// Builder collects one scenario's run.
type Builder struct {
	sc       flows.Scenario // nil: a name flows does not know
	run      report.Run
	checks   []checkID       // the checklist's lines, in order (run.Checklist holds their state)
	sessions report.Sessions // the recovery's Link sessions from those before it, for the current token
}

// New starts the run of the scenario named name (flows.Scenarios' names).
func New(name string) *Builder {
	b := &Builder{run: report.Run{Scenario: name}}
	if sc, ok := flows.Lookup(name); ok {
		b.sc = sc
		b.run.Title = sc.Info().Title
	}
	return b
}

// Run is the report of what the builder has seen so far (a copy: the builder goes on).
func (b *Builder) Run() report.Run {
	r := b.run
	r.Checklist = append([]report.Check(nil), b.run.Checklist...)
	r.Events = append([]report.Event(nil), b.run.Events...)
	if it := b.run.Item; it != nil {
		c := *it
		c.Accounts = append([]report.Account(nil), it.Accounts...)
		r.Item = &c
	}
	if v := b.run.Verdict; v != nil {
		c := *v
		r.Verdict = &c
	}
	return r
}

// Started says whether the run has anything to report yet (a token, a call, an outcome).
func (b *Builder) Started() bool {
	return len(b.run.Events) > 0 || b.run.LinkToken != "" || b.run.Verdict != nil
}

// Add takes the next event of the run. Events of other scenarios are left out.
func (b *Builder) Add(ev flows.Event) {
	if ev.Scenario != "" && b.run.Scenario != "" && ev.Scenario != b.run.Scenario {
		return
	}
	r := &b.run
	if _, ready := ev.Fact.(flows.Ready); !ready && r.Started.IsZero() {
		r.Started = ev.At // not at Ready: the tunnel may be up long before a TUI half is opened
		if c, ok := ev.Fact.(flows.PlaidCall); ok {
			r.Started = ev.At.Add(-c.Took)
		}
	}
	switch f := ev.Fact.(type) {
	case flows.Ready:
		r.Mode, r.PlaidURL, r.Webhook = report.Mode(f.Mode), f.PlaidURL, f.WebhookURL
		if f.Tunnel == "none" {
			r.Add(report.Note{At: ev.At, Text: "no tunnel: the run goes on without webhooks"})
		}
	case flows.LinkTokenCreated:
		b.tokenCreated(ev, f.Token)
	case flows.PlaidCall:
		r.Add(report.Call{At: ev.At.Add(-f.Took), Method: f.Method, Endpoint: f.Endpoint, Status: f.Status,
			Duration: f.Took, Request: body(f.Request), Response: body(f.Response), Err: f.Err})
	case flows.WebhookSeen:
		b.webhook(ev, f)
	case flows.RequestRefused:
		r.Add(report.Note{At: ev.At, Text: fmt.Sprintf("the webhook receiver refused request #%d (HTTP %d): %s", f.Seq, f.Status, f.Reason)})
	case flows.CompletionPage:
		r.Add(report.Page{At: ev.At, Step: "complete", Detail: "the completion page opened: the person reached the end of Hosted Link"})
	case flows.PageSubmitted:
		r.Add(report.Page{At: ev.At, Step: string(f.Step.From), Detail: b.pageDetail(f)})
	case flows.SignupProgressed:
		b.tick(ev, checkDown, f.Progress.InstitutionDown)
		b.tick(ev, checkOptIn, f.Progress.OptedIn)
	case flows.RecoveryEmailSent:
		b.sessions.Emailed()
		m := f.Email
		r.Add(report.Email{At: ev.At, To: m.To, Subject: m.Subject, InstitutionName: flows.BankName(m.InstitutionName, m.InstitutionID)})
		b.tick(ev, checkEmail, true)
	case flows.LeftLink:
		b.tick(ev, checkLeft, true)
		r.Add(report.Note{At: ev.At, Text: "the person left Link (SESSION_FINISHED " + orDash(f.Status) + ", no public token): nothing to exchange"})
	case flows.ItemExchanged:
		r.Item = item(f.Item)
		b.tick(ev, checkExchanged, true)
	case flows.FellBack, flows.ReceiverGone:
		r.Add(report.Fallback{At: ev.At, Reason: message(ev)})
	case flows.ClockOff, flows.Failed, flows.GaveUp, flows.Relayed, flows.WaitingForPerson:
		r.Add(report.Note{At: ev.At, Text: message(ev)})
	case flows.WaitingForEvents:
		if f.First {
			r.Add(report.Note{At: ev.At, Text: message(ev)})
		}
	case flows.Done:
		v := &report.Verdict{Passed: f.Passed, Reason: f.Reason, Via: f.Via}
		if f.Cause != nil {
			v.Reason = f.Cause.Error()
		}
		r.Verdict, r.Ended = v, ev.At
		b.tick(ev, checkNothing, f.Passed)
	}
}

// tokenCreated begins the checklist again: a new token is a new attempt at the scenario, and the
// token whose webhook the recovery's SESSION_FINISHED must reach.
func (b *Builder) tokenCreated(ev flows.Event, lt flows.LinkToken) {
	r := &b.run
	r.LinkToken, r.Webhook = lt.Token, lt.Webhook
	r.Verdict, r.Item, r.Ended = nil, nil, time.Time{}
	b.sessions = report.Sessions{}
	b.checks = checklist(r.Scenario, r.Mode)
	r.Checklist = make([]report.Check, len(b.checks))
	for i, id := range b.checks {
		r.Checklist[i] = report.Check{Text: id.text()}
	}
	b.tick(ev, checkToken, true)
}

// webhook adds a webhook and ticks the SESSION_FINISHED the scenario awaits: for the sign-up's
// recovery, the one after the e-mail.
func (b *Builder) webhook(ev flows.Event, f flows.WebhookSeen) {
	if f.Other && f.Verified {
		return // Plaid's webhook about another of the app's tokens: that run's report has it
	}
	w := report.Webhook{At: ev.At, Type: f.Type, Code: f.Code, Status: f.Status, LinkToken: f.LinkToken,
		LinkSessionID: f.LinkSessionID, PublicTokens: f.PublicTokenCount, Verified: f.Verified,
		Duplicate: f.Duplicate, Reason: f.Reason, Body: body(f.Body)}
	b.run.Add(w)
	recovery := b.sessions.Recovery(w)
	if f.Verified && !f.Other && slices.Contains(f.LinkEvents, "EXIT") {
		b.tick(ev, checkExitEvent, true)
	}
	if f.Code != "SESSION_FINISHED" || !f.Verified || f.Duplicate || f.Other {
		return
	}
	if b.has(checkRecoveryFinished) {
		if recovery && f.LinkToken == b.run.LinkToken {
			b.tick(ev, checkRecoveryFinished, true)
		}
		return
	}
	b.tick(ev, checkFinished, true)
}

// pageDetail says what the person (the emulator, for them) did on a Hosted Link page.
func (b *Builder) pageDetail(f flows.PageSubmitted) string {
	login := flows.SessionLogin
	if b.sc != nil && !f.Recovery {
		login = b.sc.Info().Login
	}
	var what string
	switch f.Step.From {
	case flows.PageSelect, flows.PageLogin:
		what = "choose the bank"
		if f.Step.From == flows.PageLogin {
			what = "log in as " + login.Username + " / " + login.Password
		}
		if login.Exit {
			what = "leave Link (Exit)"
		}
	case flows.PageDown:
		what = "the bank is down, opt in to the recovery e-mail"
	case flows.PageCode:
		what = "enter the code " + login.Code + " sent to " + login.Email
	case flows.PageAccounts:
		what = "share the accounts"
	default:
		what = "go on"
	}
	if f.Recovery {
		what = "recovery session, " + what
	}
	if f.Step.Ended {
		return what + " → " + string(f.Step.To) + ", the session ends"
	}
	return what + " → " + string(f.Step.To)
}

// checkID is a line of a checklist.
type checkID int

const (
	checkToken checkID = iota
	checkDown
	checkOptIn
	checkEmail
	checkRecoveryFinished
	checkFinished
	checkExitEvent
	checkLeft
	checkExchanged
	checkNothing
)

// text is the line as the report shows it (as the screens say it).
func (c checkID) text() string {
	return [...]string{
		checkToken:            "Hosted Link token created",
		checkDown:             "Institution-down error seen",
		checkOptIn:            "Recovery opt-in done",
		checkEmail:            "Institution back: recovery e-mail sent",
		checkRecoveryFinished: "SESSION_FINISHED received: verified, at the original link token's webhook",
		checkFinished:         "SESSION_FINISHED received: verified",
		checkExitEvent:        "EVENTS reported the EXIT",
		checkLeft:             "Left Link: SESSION_FINISHED EXITED, no public token",
		checkExchanged:        "Public token exchanged",
		checkNothing:          "Nothing exchanged",
	}[c]
}

// checklist is a scenario's checklist: the sign-up's recovery only where the emulator can bring
// the bank back.
func checklist(scenario string, mode report.Mode) []checkID {
	switch scenario {
	case flows.SignupScenario{}.Info().Name:
		if mode == report.ModeSandbox {
			return []checkID{checkToken, checkDown, checkOptIn}
		}
		return []checkID{checkToken, checkDown, checkOptIn, checkEmail, checkRecoveryFinished, checkExchanged}
	case flows.LeaveScenario{}.Info().Name:
		return []checkID{checkToken, checkFinished, checkExitEvent, checkLeft, checkNothing}
	}
	return []checkID{checkToken, checkFinished, checkExchanged}
}

func (b *Builder) has(id checkID) bool { return slices.Contains(b.checks, id) }

// tick marks line id done at ev's time, once (the first time stays).
func (b *Builder) tick(ev flows.Event, id checkID, done bool) {
	if !done {
		return
	}
	for i, c := range b.checks {
		if ch := &b.run.Checklist[i]; c == id && !ch.Done {
			ch.Done, ch.At = true, ev.At
		}
	}
}

// message is what an event's record says (its message), the one wording of every driver.
func message(ev flows.Event) string {
	rec := flows.RecordOf(ev)
	msg, _ := rec["message"].(string)
	if msg == "" {
		if _, ok := ev.Fact.(flows.Relayed); ok {
			return relayed(rec)
		}
		return fmt.Sprintf("%T", ev.Fact)
	}
	if step, _ := rec["step"].(string); step != "" && rec["event"] == "error" {
		return step + ": " + msg
	}
	return msg
}

// relayed says what --forward-to's relay of a webhook came to.
func relayed(rec flows.Record) string {
	s := fmt.Sprintf("webhook #%v relayed to %v: HTTP %v in %v ms", rec["seq"], rec["url"], rec["status_code"], rec["latency_ms"])
	if e, _ := rec["error"].(string); e != "" {
		s += " (" + e + ")"
	}
	if rec["not_relayed"] == true {
		s = fmt.Sprintf("webhook #%v not relayed to %v", rec["seq"], rec["url"])
	}
	return s
}

func item(it flows.Item) *report.Item {
	out := &report.Item{ItemID: it.ItemID, InstitutionID: it.InstitutionID, InstitutionName: it.InstitutionName}
	for _, a := range it.Accounts {
		out.Accounts = append(out.Accounts, report.Account{ID: a.ID, Name: a.Name, Mask: a.Mask, Type: a.Type, Subtype: a.Subtype, Balance: a.Balance})
	}
	return out
}

// body is an event's body (already masked by the core; the report masks again).
func body(b flows.Body) []byte {
	if b.Text == "" {
		return nil
	}
	return []byte(b.Text)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// ByHand marks the sign-up's steps that were only ticked by hand (the m key: the real Sandbox may
// not report the opt-in), which the events do not tell apart, in a run's checklist.
func ByHand(r report.Run, only flows.SignupProgress) report.Run {
	for i := range r.Checklist {
		c := &r.Checklist[i]
		switch c.Text {
		case checkDown.text():
			c.ByHand = c.Done && only.InstitutionDown
		case checkOptIn.text():
			c.ByHand = c.Done && only.OptedIn
		}
	}
	return r
}
