package tui

import (
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// defaultWebhookTimeout is used when Config.WebhookTimeout is unset.
const defaultWebhookTimeout = 3 * time.Minute

// finishTracker follows one link token until its Item is in hand: a verified SESSION_FINISHED
// webhook gives the public token; if none comes within the timeout, /link/token/get does, so a broken
// webhook path is diagnosed instead of waited on forever. Both halves use it (half 1 for the session
// opened from the recovery e-mail).
type finishTracker struct {
	token   string
	waiting bool // started and not yet holding a public token
	since   time.Time
	timeout time.Duration

	webhookSeq    int64    // the verified SESSION_FINISHED, 0 if none yet
	webhookStatus string   // its status (SUCCESS, EXITED...)
	rejected      []string // unverified SESSION_FINISHED webhooks, with the reason
	quietExits    bool     // half 1: its own sign-up session ends without an Item by design
	exits         []string // verified SESSION_FINISHED webhooks without a public token
	completeSeen  bool     // the /complete page was opened

	polledFinished bool // /link/token/get shows a finished session with public tokens
	polledToken    string
	polledExits    []string // finished sessions without an Item, per /link/token/get
	timedOut       bool
	noWebhook      bool // the token has no webhook (the tunnel failed): polling from the start

	source      string // where the public token came from: "webhook" or "/link/token/get"
	publicToken string
	exchanging  bool
	item        *flows.Item
}

func newFinishTracker(token string, now time.Time, timeout time.Duration) finishTracker {
	if timeout <= 0 {
		timeout = defaultWebhookTimeout
	}
	return finishTracker{token: token, waiting: true, since: now, timeout: timeout}
}

// isSessionFinished says whether ev is a SESSION_FINISHED webhook for token (one naming another
// link token, e.g. from an earlier run, is not ours).
func isSessionFinished(ev webhook.Event, token string) bool {
	return flows.SessionFinished(ev) && (ev.Webhook.LinkToken == "" || ev.Webhook.LinkToken == token)
}

// onEvent takes a receiver event; it returns a public token when it is time to exchange one.
func (f finishTracker) onEvent(ev webhook.Event) (finishTracker, string) {
	if f.token == "" {
		return f, ""
	}
	if ev.Kind == webhook.EventComplete {
		f.completeSeen = true
		return f, ""
	}
	if !isSessionFinished(ev, f.token) {
		return f, ""
	}
	if !ev.Verified {
		// Anyone can POST to a public URL: an unverified SESSION_FINISHED is shown and ignored.
		reason := ev.Reason
		if reason == "" {
			reason = "no reason given"
		}
		f.rejected = append(f.rejected, fmt.Sprintf("#%d: %s", ev.Seq, reason))
		return f, ""
	}
	if ev.Duplicate || f.webhookSeq != 0 {
		return f, ""
	}
	toks := flows.PublicTokens(ev)
	if len(toks) == 0 {
		// A session that ended without an Item (EXITED, e.g. the sign-up session itself, whose
		// webhook may arrive late): worth showing, but the wait goes on.
		f.exits = append(f.exits, fmt.Sprintf("webhook #%d: status %s, no public token", ev.Seq, orDash(ev.Webhook.Status)))
		return f, ""
	}
	f.webhookSeq = ev.Seq
	f.webhookStatus = ev.Webhook.Status
	if f.publicToken != "" {
		return f, "" // the fallback already took the polled token
	}
	return f.take(toks[0], "webhook")
}

// onPoll takes a /link/token/get answer; after the timeout its public token is used.
func (f finishTracker) onPoll(st flows.TokenStatus) (finishTracker, string) {
	if tok := st.FirstPublicToken(); tok != "" {
		f.polledFinished = true
		f.polledToken = tok
	}
	f.polledExits = nil
	for _, s := range st.Sessions {
		if s.Finished && len(s.PublicTokens) == 0 {
			f.polledExits = append(f.polledExits, fmt.Sprintf("session %s: status %s, exit %s", orDash(s.ID), orDash(s.Status), orDash(s.ExitCode)))
		}
	}
	if f.waiting && f.timedOut && f.publicToken == "" && f.polledToken != "" {
		return f.take(f.polledToken, "/link/token/get")
	}
	return f, ""
}

// withoutWebhook follows a token that has no webhook: its public token comes from /link/token/get
// as soon as that shows one.
func (f finishTracker) withoutWebhook() finishTracker {
	f.noWebhook, f.timedOut = true, true
	return f
}

// onTimeout is the webhook deadline passing.
func (f finishTracker) onTimeout() (finishTracker, string) {
	if !f.waiting || f.webhookSeq != 0 {
		return f, ""
	}
	f.timedOut = true
	if f.publicToken == "" && f.polledToken != "" {
		return f.take(f.polledToken, "/link/token/get")
	}
	return f, ""
}

func (f finishTracker) take(publicToken, source string) (finishTracker, string) {
	f.publicToken, f.source = publicToken, source
	f.waiting, f.exchanging = false, true
	return f, publicToken
}

func (f finishTracker) onExchanged(item flows.Item) finishTracker {
	f.exchanging = false
	f.item = &item
	return f
}

// needsSpinner says whether something is in flight.
func (f finishTracker) needsSpinner() bool { return f.waiting || f.exchanging }

// completeOutcome says which way the session ended: Plaid redirects to completion_redirect_uri
// both when the user finishes and when they exit, so the page alone cannot tell.
func (f finishTracker) completeOutcome() string {
	switch {
	case f.item != nil || f.exchanging || f.webhookStatus == "SUCCESS" || f.polledFinished:
		return ": Link finished with an Item"
	case len(f.exits) > 0 || len(f.polledExits) > 0:
		return ": the user left Link without an Item"
	}
	return " (success or exit: Plaid will say which)"
}

// lines renders the tracker's checklist entries.
func (f finishTracker) lines(c *common, spin string, width int) []string {
	s := c.styles
	var out []string
	switch {
	case f.webhookSeq != 0:
		status := ""
		if f.webhookStatus != "" {
			status = ", status " + f.webhookStatus
		}
		out = append(out, check(s, true, fmt.Sprintf("SESSION_FINISHED received: verified (webhook #%d%s)", f.webhookSeq, inert(status))))
	case f.waiting:
		el := c.now.Sub(f.since)
		if el < 0 {
			el = 0
		}
		what := "Waiting for SESSION_FINISHED"
		if f.timedOut {
			what = "Polling /link/token/get for the result"
		}
		out = append(out, s.Spinner.Render(spin)+" "+s.Text.Render(fmt.Sprintf("%s  %s", what, clock(el))))
		if !f.timedOut {
			out = append(out, s.Muted.Render(fmt.Sprintf("  falls back to /link/token/get after %s", shortDur(f.timeout))))
		}
	default:
		out = append(out, check(s, false, "SESSION_FINISHED received"))
	}
	if f.noWebhook {
		out = append(out, s.Warn.Render(ansi.Wrap("! This token has no webhook because the tunnel did not open: following the session by polling /link/token/get. Fix the tunnel (see the header), press t to retry it, then n for a token with a webhook.", width, "")))
	} else if f.timedOut {
		msg := fmt.Sprintf("No SESSION_FINISHED webhook after %s: the webhook path looks broken (check the tunnel/URL). Falling back to /link/token/get.", shortDur(f.timeout))
		out = append(out, s.Warn.Render(ansi.Wrap("! "+msg, width, "")))
	}
	if f.polledFinished && f.webhookSeq == 0 && !f.timedOut {
		out = append(out, s.Muted.Render(ansi.Wrap("  /link/token/get says the session finished; waiting for its webhook", width, "")))
	}
	if exits := append(append([]string(nil), f.exits...), f.polledExits...); len(exits) > 0 && !f.quietExits && f.item == nil && !f.exchanging {
		out = append(out, s.Warn.Render(ansi.Wrap("! A session ended without an Item ("+inert(strings.Join(exits, "; "))+"). Try again in the same link, or press n for a new token.", width, "")))
	}
	for _, r := range f.rejected {
		out = append(out, s.Bad.Render(ansi.Wrap("✗ unverified SESSION_FINISHED "+inert(r)+" (ignored)", width, "")))
	}
	if f.completeSeen {
		out = append(out, s.OK.Render("✓ ")+s.Text.Render(ansi.Truncate("completion page reached"+f.completeOutcome(), width-2, "…")))
	}
	switch {
	case f.item != nil:
		out = append(out, check(s, true, "Public token exchanged (from "+f.source+")"))
	case f.exchanging:
		out = append(out, s.Spinner.Render(spin)+" "+s.Text.Render("Exchanging the public token (from "+f.source+")…"))
	default:
		out = append(out, check(s, false, "Public token exchanged"))
	}
	return out
}

// itemView shows the exchanged Item in at most maxLines lines; the access token only ever masked.
// Accounts that do not fit are counted rather than cut off silently.
func itemView(s Styles, it flows.Item, width, maxLines int) string {
	lines := []string{
		s.Title.Render("Item"),
		s.Label.Render("item_id      ") + s.Text.Render(inert(it.ItemID)),
		s.Label.Render("institution  ") + s.Text.Render(inert(it.InstitutionID)),
		s.Label.Render("access_token ") + s.Text.Render(secret.Mask(it.AccessToken)),
		s.Title.Render(fmt.Sprintf("Accounts (%d)", len(it.Accounts))),
	}
	room := maxLines - len(lines)
	for i, a := range it.Accounts {
		if len(it.Accounts)-i > room && room <= 1 {
			lines = append(lines, s.Muted.Render(fmt.Sprintf("… and %d more (a taller window shows them)", len(it.Accounts)-i)))
			break
		}
		room--
		bal := "—"
		if a.Balance != nil {
			bal = fmt.Sprintf("%.2f", *a.Balance)
		}
		typ := a.Type
		if a.Subtype != "" {
			typ += "/" + a.Subtype
		}
		line := fmt.Sprintf("%-18s ••%-4s %-20s %10s", ansi.Truncate(inert(a.Name), 18, "…"), inert(a.Mask), ansi.Truncate(inert(typ), 20, "…"), bal)
		lines = append(lines, s.Text.Render(ansi.Truncate(line, width, "…")))
	}
	return strings.Join(lines, "\n")
}

func check(s Styles, done bool, text string) string {
	if done {
		return s.OK.Render("✓ ") + s.Text.Render(text)
	}
	return s.Muted.Render("○ " + text)
}

// clock formats an elapsed time as m:ss.
func clock(d time.Duration) string {
	d = d.Truncate(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

// shortDur writes whole minutes as "3m" and anything else as Go does.
func shortDur(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return d.Round(time.Second).String()
}

// sessionModel is half 2: a Hosted Link session from token to Item.
type sessionModel struct {
	c *common
	hostedLink
}

func newSessionModel(c *common) sessionModel {
	return sessionModel{c: c, hostedLink: hostedLink{half: flows.HalfSession}}
}

// create starts (or restarts) the half with a new token.
func (m sessionModel) create() (sessionModel, tea.Cmd) {
	m = sessionModel{c: m.c, hostedLink: hostedLink{half: flows.HalfSession, creating: true}}
	return m, createTokenCmd(m.c.ctx, m.c.env, flows.HalfSession, m.c.tunnelFailed)
}

// done says the half reached its end.
func (m sessionModel) done() bool { return m.fin.item != nil }

func (m sessionModel) needsSpinner() bool { return m.creating || m.fin.needsSpinner() || m.auto }

func (m sessionModel) update(msg tea.Msg, open bool) (sessionModel, tea.Cmd) {
	c := m.c
	switch msg := msg.(type) {
	case linkTokenCreatedMsg:
		m.fin = newFinishTracker(msg.token.Token, c.now, c.webhookTimeout)
		cmds := m.started(c, msg.token, open, flows.AutoSessionCredentials)
		if msg.token.Webhook == "" {
			// No tunnel, no webhook: polling is all there is, from the start.
			m.fin = m.fin.withoutWebhook()
			return m, tea.Batch(cmds...)
		}
		return m, tea.Batch(append(cmds, webhookTimeoutCmd(m.fin.timeout, flows.HalfSession, msg.token.Token))...)
	case pollTickMsg:
		return m, m.pollTick(c, msg, open, m.done())
	case tokenPolledMsg:
		if !m.owns(msg.token) {
			return m, nil
		}
		var pt string
		m.fin, pt = m.fin.onPoll(msg.status)
		return m, tea.Batch(m.exchange(m.c, pt), pollTickCmd(m.half, msg.token))
	case webhookReceivedMsg:
		var pt string
		m.fin, pt = m.fin.onEvent(msg.ev)
		return m, m.exchange(m.c, pt)
	case webhookTimeoutMsg:
		if !m.owns(msg.token) {
			return m, nil
		}
		var pt string
		m.fin, pt = m.fin.onTimeout()
		return m, m.exchange(m.c, pt)
	case exchangedMsg:
		m.fin = m.fin.onExchanged(msg.item)
		return m, nil
	case autoCompletedMsg:
		m.auto = false
		return m, nil
	case stepErrMsg:
		return m, m.failed(msg.step, open, m.done())
	}
	return m, nil
}

// resume restarts polling when the half is opened again.
func (m sessionModel) resume() (sessionModel, tea.Cmd) {
	cmd := m.hostedLink.resume(m.done())
	return m, cmd
}

// autoComplete is the a key: walk this half's session with the emulator.
func (m sessionModel) autoComplete() (sessionModel, tea.Cmd) {
	if m.token == nil || m.auto || m.c.em == nil || m.done() {
		return m, nil
	}
	m.auto = true
	return m, autoCompleteCmd(m.c.ctx, m.c.em, flows.HalfSession, false, m.token.HostedLinkURL, flows.AutoSessionCredentials)
}

// url is what o opens and v shows.
func (m sessionModel) url() string {
	if m.token == nil {
		return ""
	}
	return m.token.HostedLinkURL
}

// View renders the half in a w×h body.
func (m sessionModel) View(w, h int, spin string) string {
	if m.token == nil || m.fin.item != nil {
		return clip(strings.Join(m.lines(w, false, h, spin), "\n"), w, h)
	}
	return layoutQR(m.qr, w, h, func(colW int, qrShown bool, needH int) []string {
		return m.lines(colW, qrShown, needH, spin)
	})
}

// lines is the checklist column at width colW.
func (m sessionModel) lines(colW int, qrShown bool, needH int, spin string) []string {
	s := m.c.styles
	left := []string{s.Title.Render(ansi.Wrap("Half 2 · Session: finish Hosted Link, receive SESSION_FINISHED", colW, "")), ""}
	switch {
	case m.creating && !m.c.tunnelSettled:
		left = append(left, s.Spinner.Render(spin)+" "+s.Text.Render(ansi.Wrap("Waiting for the tunnel: the token carries its webhook URL…", colW-2, "")))
	case m.creating:
		left = append(left, s.Spinner.Render(spin)+" "+s.Text.Render("Creating a Hosted Link token…"))
	case m.token == nil:
		left = append(left, check(s, false, "Hosted Link token created"), s.Muted.Render("  press n to create one"))
	default:
		left = append(left, check(s, true, "Hosted Link token created"))
		if m.auto {
			left = append(left, s.Spinner.Render(spin)+" "+s.Text.Render(ansi.Wrap("Completing the session with user_good / pass_good…", colW-2, "")))
		}
	}
	if m.token == nil {
		return left
	}
	left = append(left, m.fin.lines(m.c, spin, colW)...)
	if m.fin.item != nil {
		// needH is the body height here: the Item gets what the checklist leaves.
		return append(left, "", itemView(s, *m.fin.item, colW, needH-lipgloss.Height(strings.Join(left, "\n"))-1))
	}
	left = append(left, urlBlock(m.c, "Hosted Link URL", m.qr, qrShown, colW, needH)...)
	if m.token.RedirectURI != "" {
		left = append(left, s.Label.Render("completion_redirect_uri: ")+s.Muted.Render(wrapURL(m.token.RedirectURI, colW)))
	}
	return left
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
