package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// The presenter view (p): a pane beside the checklist that explains, one step at a time, what the
// run on screen did and why, for someone showing Link Recovery to an audience. It is its own small
// model, fed the same events as the transcript (takeEmitted); the flow's step by step (pausing
// before each Hosted Link page, space for the next) is the core's (flows.Paced), which the root
// turns on and off with the pane.

// Plaid's pages the pane cites.
const (
	docLinkRecovery = "https://plaid.com/docs/link/link-recovery/"
	docHostedLink   = "https://plaid.com/docs/link/hosted-link/"
	docLinkAPI      = "https://plaid.com/docs/api/link/"
	docItemsAPI     = "https://plaid.com/docs/api/items/"
)

// Pane sizes: the pane's width depends on the body's width only, never on what it shows, so it
// does not jump as steps change; below minChecklistW cells for the checklist beside it, or
// minPresenterH lines, it hides behind a one-line notice.
const (
	minPresenterW, maxPresenterW = 44, 64
	minChecklistW                = 44
	minPresenterH                = 14
	maxSteps                     = 200 // per scenario: memory stays bounded on a long run
)

// presenterModel holds, per scenario, the steps seen so far and which one is shown.
type presenterModel struct {
	on   bool
	runs map[string]*presented
}

// presented is one scenario's steps.
type presented struct {
	steps []presStep
	shown int // the step shown; -1 follows the latest
	// original is the run's own link token: the recovery session's SESSION_FINISHED comes to its
	// webhook. recovering: the recovery e-mail is out.
	original   string
	recovering bool
}

// presStep is one step the pane can explain; point marks the Link Recovery point.
type presStep struct {
	ev    flows.Event
	point bool
}

func newPresenterModel() presenterModel { return presenterModel{runs: map[string]*presented{}} }

// add takes the events the runs established; each scenario keeps its own steps.
func (p presenterModel) add(evs []flows.Event) presenterModel {
	for _, ev := range evs {
		r := p.runs[ev.Scenario]
		if r == nil {
			r = &presented{shown: -1}
			p.runs[ev.Scenario] = r
		}
		point := false
		switch f := ev.Fact.(type) {
		case flows.LinkTokenCreated:
			r.original, r.recovering = f.Token.Token, false
			continue
		case flows.PlaidCall:
			if f.Endpoint == "/link/token/get" {
				continue // polled every few hundred milliseconds: not a step
			}
		case flows.WebhookSeen:
			if f.Other {
				continue // another run's webhook: that run explains it
			}
			point = r.recovering && f.Code == "SESSION_FINISHED" && f.LinkToken != "" && f.LinkToken == r.original
		case flows.RecoveryEmailSent:
			r.recovering = true
		case flows.PageSubmitted, flows.ItemExchanged, flows.Done, flows.Failed, flows.FellBack:
		default:
			continue
		}
		r.steps = append(r.steps, presStep{ev: ev, point: point})
		if over := len(r.steps) - maxSteps; over > 0 {
			r.steps = append([]presStep(nil), r.steps[over:]...)
			if r.shown >= 0 {
				r.shown = max(0, r.shown-over)
			}
		}
	}
	return p
}

// page moves the step shown of scenario name by d (← -1, → +1); past the last it follows the
// latest again.
func (p presenterModel) page(name string, d int) presenterModel {
	r := p.runs[name]
	if r == nil || len(r.steps) == 0 {
		return p
	}
	i := r.index() + d
	switch {
	case i < 0:
		i = 0
	case i >= len(r.steps)-1:
		i = -1
	}
	r.shown = i
	return p
}

// index is the step shown.
func (r *presented) index() int {
	if r.shown < 0 || r.shown >= len(r.steps) {
		return len(r.steps) - 1
	}
	return r.shown
}

// count is how many steps scenario name has.
func (p presenterModel) count(name string) int {
	if r := p.runs[name]; r != nil {
		return len(r.steps)
	}
	return 0
}

// presenterWidth is the pane's width in a body w cells wide (0: no room beside the checklist).
func presenterWidth(w int) int {
	pw := min(maxPresenterW, max(minPresenterW, w*2/5))
	if w-pw-1 < minChecklistW {
		return 0
	}
	return pw
}

// besides lays the pane beside the checklist (drawn by checklist for its width) in a w×h body, or
// a one-line notice above it when there is no room.
func (p presenterModel) besides(s Styles, name string, st flows.State, w, h int, checklist func(w, h int) string) string {
	pw := presenterWidth(w)
	if pw == 0 || h < minPresenterH {
		notice := fmt.Sprintf("Presenter view: needs at least %d×%d; make the window bigger.", minChecklistW+minPresenterW+1, minPresenterH+6)
		if next := nextStep(st); next != "" {
			notice += " space: " + next
		}
		return s.Warn.Render(fit(notice, w)) + "\n" + checklist(w, h-1)
	}
	left := clip(checklist(w-pw-1, h), w-pw-1, h)
	left = lipgloss.NewStyle().Width(w - pw - 1).Render(left)
	return lipgloss.JoinHorizontal(lipgloss.Top, left, " ", p.pane(s, name, st, pw, h))
}

// pane is the presenter pane, exactly pw cells wide and h lines high.
func (p presenterModel) pane(s Styles, name string, st flows.State, pw, h int) string {
	ps := s.Presenter
	iw := pw - 4 // the border and a cell of padding each side
	var body []string
	r := p.runs[name]
	title := "Presenter"
	if r != nil && len(r.steps) > 0 {
		title = fmt.Sprintf("Presenter · step %d of %d", r.index()+1, len(r.steps))
	}
	body = append(body, ps.Title.Render(title))
	if r == nil || len(r.steps) == 0 {
		body = append(body, "", para(ps.Text, "Each step of the run is explained here as it happens: what the app sent, what Plaid answered, and why it matters for Link Recovery.", iw))
		if st.Opts.CanWalk() {
			body = append(body, "", para(ps.Text, "Press a: the demo walks Hosted Link one page at a time, and space performs each page.", iw))
		}
	} else {
		body = append(body, explainStep(ps, r.steps[r.index()], st, iw)...)
	}
	foot := []string{}
	if next := nextStep(st); next != "" {
		foot = append(foot, ps.Label.Render("Next: ")+ps.Key.Render(fit(next, iw-12))+ps.Label.Render(" · space"))
	}
	keys := "p close"
	if r != nil && len(r.steps) > 1 {
		keys = "← → earlier/later · " + keys
		if r.shown >= 0 {
			keys = "→ back to the latest · " + keys
		}
	}
	foot = append(foot, ps.Label.Render(fit(keys, iw)))
	room := h - 2 - len(foot)
	lines := strings.Split(strings.Join(body, "\n"), "\n")
	if len(lines) > room {
		lines = append(lines[:max(0, room-1)], ps.Label.Render("… (a taller window shows the rest)"))
	}
	for len(lines) < room {
		lines = append(lines, "")
	}
	lines = append(lines, foot...)
	for i, l := range lines {
		l = fit(l, iw)
		lines[i] = l + strings.Repeat(" ", max(0, iw-lipgloss.Width(l)))
	}
	return ps.Pane.Width(pw - 2).Render(strings.Join(lines, "\n"))
}

// nextStep is what space performs now, in words ("" when the run is not paused).
func nextStep(st flows.State) string {
	p := st.Pacing
	if !p.Paused {
		return ""
	}
	if p.Restore {
		return "bring the bank back (the recovery e-mail goes out)"
	}
	what := map[flows.Page]string{
		flows.PageSelect:   "choose the bank",
		flows.PageLogin:    "log in",
		flows.PageAccounts: "choose the accounts and finish",
		flows.PageDown:     "opt in with the e-mail",
		flows.PageCode:     "enter the code",
	}[p.Next]
	if what == "" {
		what = "the " + string(p.Next) + " page"
	}
	if p.Walk != nil && p.Walk.Recovery {
		return "recovery session: " + what
	}
	return what
}

// explanation is what the pane says of one step.
type explanation struct {
	title string
	what  []string // pre-rendered lines
	why   string
	doc   string
}

// explainStep renders one step: its title, what happened, why, the docs and, where it happens,
// the Link Recovery point.
func explainStep(ps presenterStyles, step presStep, st flows.State, iw int) []string {
	x := explain(ps, step.ev, iw)
	out := []string{para(ps.Heading, x.title, iw), ""}
	if len(x.what) > 0 {
		out = append(out, ps.Label.Render("WHAT HAPPENED"))
		out = append(out, x.what...)
		out = append(out, "")
	}
	if step.point {
		out = append(out, ps.Point.Render(" ★ THE LINK RECOVERY POINT "))
		out = append(out, para(ps.Text, "This SESSION_FINISHED is the recovery session's, and it came to the webhook of the ORIGINAL link token ("+
			shortToken(webhookToken(step.ev))+"), made at sign-up. That is how the app knows which user came back: the e-mail carries nothing of the app's.", iw), "")
	}
	out = append(out, ps.Label.Render("WHY"), para(ps.Text, x.why, iw))
	if x.doc != "" {
		out = append(out, ps.URL.Render(wrapURL(x.doc, iw)))
	}
	return out
}

func webhookToken(ev flows.Event) string {
	if w, ok := ev.Fact.(flows.WebhookSeen); ok {
		return w.LinkToken
	}
	return ""
}

// explain is the title, what happened and why of one event, in our words.
func explain(ps presenterStyles, ev flows.Event, iw int) explanation {
	kv := func(k, v string) string {
		k = fmt.Sprintf("%-15s ", k)
		return ps.Label.Render(k) + ps.Text.Render(fit(inert(v), max(1, iw-len(k))))
	}
	switch f := ev.Fact.(type) {
	case flows.PlaidCall:
		what := []string{ps.Key.Render(inert(f.Method+" "+f.Endpoint)) + ps.Label.Render(callStatus(f))}
		req, resp := fields(f.Request.Text), fields(f.Response.Text)
		x := explanation{title: "The app calls Plaid: " + inert(f.Endpoint), what: what, doc: docLinkAPI,
			why: "A call from the app's server to Plaid (here the emulator in its place), with the app's keys. Its bodies are shown masked, as the transcript keeps them."}
		pick := func(m map[string]json.RawMessage, head string, keys ...string) {
			var got []string
			for _, k := range keys {
				if v, ok := m[k]; ok {
					got = append(got, kv(k, compact(v)))
				}
			}
			if len(got) > 0 {
				x.what = append(x.what, ps.Label.Render(head))
				x.what = append(x.what, got...)
			}
		}
		switch f.Endpoint {
		case "/link/token/create":
			x.title = "The app asks Plaid for a Hosted Link token"
			x.why = "Every Link session starts from a link token. With hosted_link set, Plaid hosts Link itself and returns a hosted_link_url that the person opens on any device; webhook is where Plaid reports the session, and, later, the Link Recovery session."
			x.doc = docHostedLink
			pick(req, "request", "webhook", "hosted_link", "products")
			pick(resp, "response", "link_token", "hosted_link_url", "expiration")
		case "/item/public_token/exchange":
			x.title = "The app exchanges the public token"
			x.why = "A public token is good once and for 30 minutes; the access token it buys is what the app keeps to read the Item. It never leaves the app's server (masked here)."
			x.doc = docItemsAPI
			pick(resp, "response", "item_id", "access_token")
		case "/item/get", "/accounts/get":
			x.title = "The app reads the new Item: " + inert(f.Endpoint)
			x.why = "With the access token the app reads the Item and its accounts: the proof that the link works end to end."
			x.doc = docItemsAPI
			pick(resp, "response", "item", "accounts")
		}
		return x
	case flows.WebhookSeen:
		return explainWebhook(ps, f, kv, iw)
	case flows.PageSubmitted:
		return explainPage(f, kv)
	case flows.RecoveryEmailSent:
		m := f.Email
		return explanation{title: "The bank is back: Plaid e-mails the person",
			what: []string{kv("to", m.To), kv("subject", m.Subject), kv("institution", flows.BankName(m.InstitutionName, m.InstitutionID)), kv("link_token", shortToken(m.LinkToken)), kv("url", m.URL)},
			why:  "When the institution recovers, Plaid e-mails everyone who opted in, with a link to a new Hosted Link session for the same link token. The real Sandbox never sends it; the emulator does, so the flow can finish here.",
			doc:  docLinkRecovery}
	case flows.ItemExchanged:
		return explanation{title: "The Item is in (public token from " + sourceName(f.Via) + ")",
			what: []string{kv("item_id", f.Item.ItemID), kv("institution", f.Item.Bank()), kv("access_token", secret.Mask(f.Item.AccessToken)), kv("accounts", fmt.Sprint(len(f.Item.Accounts)))},
			why:  "The person is linked: the app holds an access token for the Item and can read its accounts. Link Recovery turned an outage into a connected user, without the app chasing them.",
			doc:  docLinkRecovery}
	case flows.Done:
		title := "The run"
		if sc, ok := flows.Lookup(ev.Scenario); ok {
			title = sc.Info().Title
		}
		if f.Passed {
			// The scenario's reason first: a sign-up in the Sandbox, or a person who left Link, passes
			// with no Item.
			why := "Every step the scenario checks happened, as Plaid documents it."
			if f.Reason != "" {
				why = inert(sentence(f.Reason)) + " " + why
			}
			return explanation{title: title + " passed", why: why, doc: docLinkRecovery}
		}
		cause := "-"
		if f.Cause != nil {
			cause = f.Cause.Error()
		}
		return explanation{title: title + " did not pass", what: []string{para(ps.Bad, inert(cause), iw)},
			why: "Something the scenario checks did not happen as Plaid documents it; the checklist and the error box say what, and n starts again with a new token."}
	case flows.Failed:
		return explanation{title: "A step failed: " + inert(f.Step), what: []string{para(ps.Bad, inert(f.Err.Error()), iw)},
			why: "The run shows what went wrong and goes on where it can; the error box beside says what to do next."}
	case flows.FellBack:
		return explanation{title: "No webhook: the app polls /link/token/get", why: "Without a verified SESSION_FINISHED the app follows the session by polling. It still finds the result, but a production app that only listens to webhooks would not.", doc: docLinkAPI}
	}
	return explanation{title: fmt.Sprintf("%T", ev.Fact)}
}

// explainWebhook explains a webhook, its status, public_tokens and link_token picked out.
func explainWebhook(ps presenterStyles, f flows.WebhookSeen, kv func(k, v string) string, iw int) explanation {
	m := fields(f.Body.Text)
	verdict := "verified (Plaid-Verification JWT checked)"
	switch {
	case f.Duplicate:
		verdict = "a duplicate (already handled)"
	case !f.Verified:
		verdict = "NOT verified: " + f.Reason
	}
	what := []string{ps.Key.Render(inert(fmt.Sprintf("POST webhook #%d  %s %s", f.Seq, f.Type, f.Code))), kv("signature", verdict)}
	for _, k := range []string{"status", "public_tokens", "link_token", "link_session_id"} {
		if v, ok := m[k]; ok {
			s := compact(v)
			if k == "link_token" {
				s = shortToken(f.LinkToken)
			}
			what = append(what, kv(k, s))
		}
	}
	x := explanation{title: "Plaid calls the app's webhook: " + inert(f.Code), what: what, doc: docLinkAPI,
		why: "Plaid POSTs to the webhook the link token named. The app checks the signature before it believes a word of it."}
	switch {
	case f.Code == "EVENTS":
		x.title = "Plaid reports what the person did in Link (EVENTS)"
		x.why = "EVENTS lists the session's Link events: here the outage error and the opt-in. Plaid sends it when the session ends, and the app ticks its checklist from it."
	case f.Code == "SESSION_FINISHED" && f.Status == "EXITED":
		x.title = "SESSION_FINISHED: EXITED, public_tokens []"
		x.why = "The session ended without an Item, so there is no public token. After a Link Recovery opt-in that is expected: the Item comes later, from the session the recovery e-mail opens."
		x.doc = docLinkRecovery
	case f.Code == "SESSION_FINISHED":
		x.title = "SESSION_FINISHED: " + inert(orDash(f.Status)) + ", with a public token"
		x.why = "Plaid tells the link token's webhook how the session ended and hands over the public token to exchange. Hosted Link has no onSuccess callback in the app: this webhook is how the app learns."
	case f.Code == "ITEM_ADD_RESULT":
		x.title = "ITEM_ADD_RESULT: an Item was added"
		x.why = "One per Item the session added, before SESSION_FINISHED; the app waits for SESSION_FINISHED, which carries every public token of the session."
	}
	return x
}

// pageTexts explain each Hosted Link page by the page the person left. The login page is
// explained by where it led, so explainPage picks among the login texts itself.
var pageTexts = map[flows.Page]pageText{
	flows.PageSelect:   {"The person chooses the bank", "Hosted Link is Plaid's own page, on the person's phone or browser; the app only gave it the link token. In the Sandbox the banks are test banks.", docHostedLink},
	flows.PageDown:     {"The person opts in to the recovery e-mail", "Link asks for an e-mail address (example@plaid.com in the Sandbox) so Plaid can write when the bank is back. The app does nothing here: Plaid keeps the opt-in with the link token.", docLinkRecovery},
	flows.PageCode:     {"The person confirms the e-mail with its code", "The code (123456 in the Sandbox) proves the address. The session then ends EXITED with no public token: no Item yet, and that is expected.", docLinkRecovery},
	flows.PageAccounts: {"The person chooses the accounts and finishes", "Link creates the Item and a public token. Plaid now sends SESSION_FINISHED, with that token, to the link token's webhook.", docHostedLink},
}

var (
	loginDown = pageText{"The person logs in, and the bank is down", "With user_good / error_INSTITUTION_DOWN the Sandbox plays an outage. Here Link Recovery begins: instead of a dead end, Link offers to tell the person when the bank is back.", docLinkRecovery}
	loginBack = pageText{"The person is back, from the recovery e-mail", "The e-mail's link opened a new Hosted Link session at the bank's login: the bank is already known. The app created nothing for it: it belongs to the original link token.", docLinkRecovery}
	loginGood = pageText{"The person logs in", "With user_good / pass_good the Sandbox bank accepts the login and offers the accounts to share.", docHostedLink}
)

type pageText struct{ title, why, doc string }

// explainPage explains one Hosted Link page the emulator submitted.
func explainPage(f flows.PageSubmitted, kv func(k, v string) string) explanation {
	t, known := pageTexts[f.Step.From]
	switch {
	case f.Step.From == flows.PageLogin && f.Step.To == flows.PageDown:
		t = loginDown
	case f.Step.From == flows.PageLogin && f.Recovery:
		t = loginBack
	case f.Step.From == flows.PageLogin:
		t = loginGood
	case !known:
		t = pageText{"Hosted Link page: " + string(f.Step.From), "The emulator submitted the page as the person would.", docHostedLink}
	}
	what := []string{kv("Hosted Link", string(f.Step.From)+" → "+string(f.Step.To))}
	return explanation{title: t.title, what: what, why: t.why, doc: t.doc}
}

// callStatus is " → 200 in 12ms" (or why nothing answered).
func callStatus(f flows.PlaidCall) string {
	if f.Status == 0 {
		return " → no answer: " + inert(f.Err)
	}
	return fmt.Sprintf(" → %d", f.Status)
}

// fields are a JSON object's top-level fields ("" or not an object: none).
func fields(text string) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(text), &m) != nil {
		return nil
	}
	return m
}

// compact is a JSON value on one line.
func compact(v json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return string(v)
	}
	s := b.String()
	if len(s) > 1 && s[0] == '"' {
		var str string
		if json.Unmarshal(v, &str) == nil {
			return str
		}
	}
	return s
}

// shortToken is a link token short enough for the pane: its start and end.
func shortToken(t string) string {
	if len(t) <= 26 {
		return orDash(t)
	}
	return t[:17] + "…" + t[len(t)-6:]
}

// togglePresenter shows or hides the pane; the runs walk step by step while it shows.
func (m model) togglePresenter() (model, tea.Cmd) {
	m.presenter.on = !m.presenter.on
	return m, m.routeAll(flows.Paced{On: m.presenter.on})
}

// presenterKey handles space, ← and → while the pane shows on a run's screen (ok false: not one
// of them).
func (m *model) presenterKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	scr := m.current()
	if !m.presenter.on || scr == nil {
		return nil, false
	}
	k, name := m.keys, scr.driver().name
	switch {
	case key.Matches(msg, k.Next):
		return scr.driver().feed(scr, flows.Intent{Kind: flows.IntentNext}), true
	case key.Matches(msg, k.Earlier):
		m.presenter = m.presenter.page(name, -1)
	case key.Matches(msg, k.Later):
		m.presenter = m.presenter.page(name, 1)
	default:
		return nil, false
	}
	return nil, true
}

// runView is a run's screen, with the presenter pane beside it while it shows.
func (m model) runView(scr screen, w, h int, spin string) string {
	if v, ok := m.summaryView(scr, w, h); ok {
		return v
	}
	if !m.presenter.on {
		return scr.View(w, h, spin)
	}
	r := scr.driver()
	return m.presenter.besides(m.c.styles, r.name, r.st, w, h, func(w, h int) string { return scr.View(w, h, spin) })
}

// updatePresenterKeys keeps p, space, ← and → honest (updateKeys).
func (m *model) updatePresenterKeys(onRun bool) {
	k := &m.keys
	k.Presenter.SetEnabled(!m.showInspector)
	if m.presenter.on {
		k.Presenter.SetHelp("p", "close presenter")
	} else {
		k.Presenter.SetHelp("p", "presenter view")
	}
	scr := m.current()
	on := m.presenter.on && onRun && scr != nil
	k.Next.SetEnabled(on && scr.driver().st.Pacing.Paused)
	paging := on && m.presenter.count(scr.driver().name) > 1
	k.Earlier.SetEnabled(paging)
	k.Later.SetEnabled(paging)
}
