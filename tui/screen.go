package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// finishLines render the wait for a session's outcome (flows.Wait): the SESSION_FINISHED webhook,
// the webhook clock and its fallback to /link/token/get, the person leaving, forged webhooks and
// the exchange.
func (r *run) finishLines(spin string, width int) []string {
	c, st := r.c, r.st
	s, f := c.styles, st.Wait
	timeout := st.Opts.WebhookTimeout
	var out []string
	switch {
	case f.WebhookSeq != 0:
		status := ""
		if f.WebhookStatus != "" {
			status = ", status " + f.WebhookStatus
		}
		out = append(out, check(s, true, fmt.Sprintf("SESSION_FINISHED received: verified (webhook #%d%s)", f.WebhookSeq, inert(status))))
	case f.Waiting() && !st.Done():
		el := c.now.Sub(f.Since)
		if el < 0 {
			el = 0
		}
		what := "Waiting for SESSION_FINISHED"
		if f.TimedOut() {
			what = "Polling /link/token/get for the result"
		}
		out = append(out, s.Spinner.Render(spin)+" "+s.Text.Render(fmt.Sprintf("%s  %s", what, clock(el))))
		if !f.TimedOut() {
			out = append(out, para(s.Muted, fmt.Sprintf("  falls back to polling %s after finish", shortDur(timeout)), width))
		}
	default:
		out = append(out, check(s, false, "SESSION_FINISHED received"))
	}
	switch f.Fallback {
	case flows.FallbackNoWebhook:
		out = append(out, para(s.Warn, "! This token has no webhook because the tunnel did not open: following the session by polling /link/token/get. Fix the tunnel (see the header), press t to retry it, then n for a token with a webhook.", width))
	case flows.FallbackTimeout, flows.FallbackReceiverStopped:
		msg := fmt.Sprintf("No SESSION_FINISHED webhook %s after the session finished: the webhook path looks broken (check the tunnel/URL). Falling back to /link/token/get.", shortDur(timeout))
		if f.Fallback == flows.FallbackReceiverStopped {
			msg = "The webhook receiver stopped before SESSION_FINISHED: following the session by /link/token/get."
		}
		out = append(out, para(s.Warn, "! "+msg, width))
	}
	if f.PolledFinished() && f.WebhookSeq == 0 && !f.TimedOut() {
		out = append(out, para(s.Muted, "  /link/token/get says the session finished; waiting for its webhook", width))
	}
	if len(f.PolledExits) > 0 && !f.QuietExits && !f.Left && f.Item == nil && st.Busy.Exchanging.IsZero() {
		var exits []string
		for _, x := range f.PolledExits {
			exits = append(exits, fmt.Sprintf("session %s: status %s, exit %s", orDash(x.ID), orDash(x.Status), orDash(x.ExitCode)))
		}
		out = append(out, para(s.Warn, "! /link/token/get shows a session that ended without an Item ("+inert(strings.Join(exits, "; "))+"); waiting for its SESSION_FINISHED.", width))
	}
	for _, x := range f.Rejected {
		out = append(out, para(s.Bad, fmt.Sprintf("✗ unverified SESSION_FINISHED #%d: %s (ignored)", x.Seq, inert(x.Reason)), width))
	}
	if f.CompleteSeen {
		out = append(out, s.OK.Render("✓ ")+s.Text.Render(fit("completion page reached"+completeOutcome(st), width-2)))
	}
	return out
}

// exchangeLines render the exchange of the public token, and the outcome when it failed.
func (r *run) exchangeLines(spin string, width int) []string {
	s, st := r.c.styles, r.st
	f := st.Wait
	var out []string
	switch {
	case f.Left && f.Item == nil:
		// The person left Link: nothing to exchange, and no spinner waits for a webhook that came.
		out = append(out, para(s.Warn, "! The person left Link without linking an account (SESSION_FINISHED status "+
			inert(orDash(f.WebhookStatus))+", no public token): nothing to exchange. Press n for a new token to try Link again.", width))
	case f.Item != nil:
		out = append(out, check(s, true, "Public token exchanged (from "+sourceName(f.Via)+")"))
	case !st.Busy.Exchanging.IsZero():
		out = append(out, r.spinLine(spin, "Exchanging the public token (from "+sourceName(f.Via)+")…", st.Busy.Exchanging, width))
	default:
		out = append(out, check(s, false, "Public token exchanged"))
	}
	if st.Done() && !st.Outcome.Passed && st.Outcome.Cause != nil && f.Item == nil && !f.Left {
		out = append(out, para(s.Bad, "✗ "+inert(st.Outcome.Cause.Error())+" (press n for a new token)", width))
	}
	return out
}

// completeOutcome says which way the session ended: Plaid redirects to completion_redirect_uri
// both when the user finishes and when they exit, so the page alone cannot tell.
func completeOutcome(st flows.State) string {
	f := st.Wait
	switch {
	case f.Item != nil || !st.Busy.Exchanging.IsZero() || f.WebhookStatus == "SUCCESS" || f.PolledFinished():
		return ": Link finished with an Item"
	case f.Left || len(f.PolledExits) > 0 && !f.QuietExits:
		return ": the user left Link without an Item"
	}
	return " (success or exit: Plaid will say which)"
}

// loginOf is a credential pair as the screen shows it ("user_good / pass_good").
func loginOf(l flows.Login) string { return l.Username + " / " + l.Password }

// sourceName says where a public token came from, as the screen puts it.
func sourceName(source string) string {
	if source == "polling" {
		return "/link/token/get"
	}
	return source
}

// itemView shows the exchanged Item in at most maxLines lines; the access token only ever masked.
// Accounts that do not fit are counted rather than cut off silently.
func itemView(s Styles, it flows.Item, width, maxLines int) string {
	id := s.Title.Render("Item ") + s.Text.Render(inert(it.ItemID))
	about := []string{
		s.Label.Render("institution  ") + s.Text.Render(fit(inert(it.Bank()), max(1, width-13))),
		s.Label.Render("access_token ") + s.Text.Render(secret.Mask(it.AccessToken)),
	}
	counted := fmt.Sprintf("%d accounts (a taller window shows them)", len(it.Accounts))
	if maxLines < 6 { // no room for the heading, its four lines and an account: the Item in brief
		if maxLines <= 1 {
			return fit(id+s.Muted.Render(" · "+counted), width)
		}
		lines := []string{fit(id, width)}
		for _, l := range about {
			if len(lines) < maxLines-1 {
				lines = append(lines, l)
			}
		}
		return strings.Join(append(lines, s.Muted.Render(fit(counted, width))), "\n")
	}
	lines := []string{
		s.Title.Render("Item"),
		s.Label.Render("item_id      ") + s.Text.Render(inert(it.ItemID)),
		about[0], about[1],
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
		line := fmt.Sprintf("%-18s ••%-4s %-20s %10s", fit(inert(a.Name), 18), inert(a.Mask), fit(inert(typ), 20), bal)
		lines = append(lines, s.Text.Render(fit(line, width)))
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

// defaultScreen renders any scenario that registers no screen of its own (flows.SessionScenario
// among them): a Hosted Link session from token to outcome.
type defaultScreen struct {
	*run
}

func (m *defaultScreen) events([]flows.Event) {}

// key handles the default keys: the cards and a.
func (m *defaultScreen) key(msg tea.KeyMsg, k keyMap) tea.Cmd {
	if m.cardKeys(msg, k, m.cards()) {
		return nil
	}
	if key.Matches(msg, k.Auto) {
		return m.feed(m, flows.Intent{Kind: flows.IntentWalk})
	}
	return nil
}

func (m *defaultScreen) enableKeys(k *keyMap) { m.enableCommonKeys(k, m.cards()) }

// keyWhy: the default screen explains none of its disabled keys.
func (m *defaultScreen) keyWhy(tea.KeyMsg, keyMap) (string, bool) { return "", false }

// url is what o opens and v shows.
func (m *defaultScreen) url() string {
	if m.st.Wait.Left {
		return "" // the session is over: its link opens nothing any more
	}
	return m.st.Token.HostedLinkURL
}

func (m *defaultScreen) currentQR() qrCode { return m.qr }

// View renders the run in a w×h body.
func (m *defaultScreen) View(w, h int, spin string) string {
	return view(w, h, spin, m.qr, m.url() != "" && m.st.Wait.Item == nil, m.lines)
}

// lines is the checklist column at width colW.
func (m *defaultScreen) lines(colW int, qrShown bool, needH int, spin string) []string {
	s, st := m.c.styles, m.st
	left := m.head(colW, spin, "Completing the session with "+loginOf(m.info().Login)+"…")
	if !st.HasToken() {
		return left
	}
	left = append(left, m.finishLines(spin, colW)...)
	left = append(left, m.exchangeLines(spin, colW)...)
	switch {
	case st.Wait.Item != nil:
		// needH is the body height here: the Item gets what the checklist leaves.
		return append(left, "", itemView(s, *st.Wait.Item, colW, needH-lipgloss.Height(strings.Join(left, "\n"))-1))
	case m.url() == "":
		return left
	}
	return append(left, m.linkBlock(left, m.cards(), m.qr, qrShown, colW, needH)...)
}

// linkBlock is the cards, then where the URL is, then the completion_redirect_uri.
// above are the lines before it (they bound the room the cards get).
func (r *run) linkBlock(above []string, cards []flows.CredentialCard, q qrCode, qrShown bool, colW, needH int) []string {
	s := r.c.styles
	tail := urlBlock(r.c, "Hosted Link URL", q, qrShown, colW, needH)
	if u := r.st.Token.RedirectURI; u != "" {
		tail = append(tail, s.Label.Render("after the session, not to open (completion_redirect_uri): ")+s.Muted.Render(wrapURL(u, colW)))
	}
	if len(cards) == 0 {
		return tail
	}
	out := append([]string{""}, r.cardsView(cards, colW, r.cardRoom(above, q.url, colW, qrShown))...)
	return append(out, tail...)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
