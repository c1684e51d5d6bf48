package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// finishLines render the wait for a session's Item (flows.Finish): the SESSION_FINISHED webhook,
// the webhook clock and its fallback to /link/token/get, exits, forged webhooks and the exchange.
func (h *hostedLink) finishLines(spin string, width int) []string {
	c, m := h.c, h.mach
	s, f := c.styles, m.Fin
	timeout := m.Options().WebhookTimeout
	var out []string
	switch {
	case f.WebhookSeq != 0:
		status := ""
		if f.WebhookStatus != "" {
			status = ", status " + f.WebhookStatus
		}
		out = append(out, check(s, true, fmt.Sprintf("SESSION_FINISHED received: verified (webhook #%d%s)", f.WebhookSeq, inert(status))))
	case f.Waiting():
		el := c.now.Sub(f.Since)
		if el < 0 {
			el = 0
		}
		what := "Waiting for SESSION_FINISHED"
		if f.TimedOut {
			what = "Polling /link/token/get for the result"
		}
		out = append(out, s.Spinner.Render(spin)+" "+s.Text.Render(fmt.Sprintf("%s  %s", what, clock(el))))
		if !f.TimedOut {
			out = append(out, s.Muted.Render(wrap(fmt.Sprintf("  falls back to polling %s after finish", shortDur(timeout)), width)))
		}
	default:
		out = append(out, check(s, false, "SESSION_FINISHED received"))
	}
	if f.NoWebhook {
		out = append(out, s.Warn.Render(wrap("! This token has no webhook because the tunnel did not open: following the session by polling /link/token/get. Fix the tunnel (see the header), press t to retry it, then n for a token with a webhook.", width)))
	} else if f.TimedOut {
		msg := fmt.Sprintf("No SESSION_FINISHED webhook %s after the session finished: the webhook path looks broken (check the tunnel/URL). Falling back to /link/token/get.", shortDur(timeout))
		out = append(out, s.Warn.Render(wrap("! "+msg, width)))
	}
	if f.PolledFinished() && f.WebhookSeq == 0 && !f.TimedOut {
		out = append(out, s.Muted.Render(wrap("  /link/token/get says the session finished; waiting for its webhook", width)))
	}
	if exits := append(append([]string(nil), f.Exits...), f.PolledExits...); len(exits) > 0 && !f.QuietExits && f.Item == nil && !f.Exchanging {
		out = append(out, s.Warn.Render(wrap("! A session ended without an Item ("+inert(strings.Join(exits, "; "))+"). Try again in the same link, or press n for a new token.", width)))
	}
	for _, r := range f.Rejected {
		out = append(out, s.Bad.Render(wrap("✗ unverified SESSION_FINISHED "+inert(r)+" (ignored)", width)))
	}
	if f.CompleteSeen {
		out = append(out, s.OK.Render("✓ ")+s.Text.Render(ansi.Truncate("completion page reached"+completeOutcome(f), width-2, "…")))
	}
	switch {
	case f.Item != nil:
		out = append(out, check(s, true, "Public token exchanged (from "+sourceName(f.Source)+")"))
	case f.Exchanging:
		out = append(out, h.spinLine(spin, "Exchanging the public token (from "+sourceName(f.Source)+")…", h.since.exchanging, width))
	default:
		out = append(out, check(s, false, "Public token exchanged"))
	}
	if m.Done && !m.Passed && m.Reason != "" && f.Item == nil {
		out = append(out, s.Bad.Render(wrap("✗ "+inert(m.Reason)+" (press n for a new token)", width)))
	}
	return out
}

// completeOutcome says which way the session ended: Plaid redirects to completion_redirect_uri
// both when the user finishes and when they exit, so the page alone cannot tell.
func completeOutcome(f flows.Finish) string {
	switch {
	case f.Item != nil || f.Exchanging || f.WebhookStatus == "SUCCESS" || f.PolledFinished():
		return ": Link finished with an Item"
	case len(f.Exits) > 0 || len(f.PolledExits) > 0:
		return ": the user left Link without an Item"
	}
	return " (success or exit: Plaid will say which)"
}

// loginOf is a credential pair as the screen shows it ("user_good / pass_good").
func loginOf(c flows.Login) string { return c.Username + " / " + c.Password }

// sourceName says where a public token came from, as the screen puts it.
func sourceName(source string) string {
	if source == "polling" {
		return "/link/token/get"
	}
	return source
}

// wrap wraps text at width cells.
func wrap(text string, width int) string { return ansi.Wrap(text, width, "") }

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

// sessionModel is the screen of flows.SessionScenario: a Hosted Link session from token to Item.
type sessionModel struct {
	*hostedLink
}

func (m *sessionModel) update(tea.Msg) tea.Cmd { return nil }

// key handles the session half's keys: the cards and a.
func (m *sessionModel) key(msg tea.KeyMsg, k keyMap) tea.Cmd {
	if m.cardKeys(msg, k) {
		return nil
	}
	if key.Matches(msg, k.Auto) {
		return m.intent(flows.IntentAutoComplete)
	}
	return nil
}

func (m *sessionModel) enableKeys(k *keyMap) { m.enableCommonKeys(k) }

// url is what o opens and v shows.
func (m *sessionModel) url() string {
	if t := m.mach.Token; t != nil {
		return t.HostedLinkURL
	}
	return ""
}

func (m *sessionModel) currentQR() qrCode { return m.qr }

// View renders the half in a w×h body.
func (m *sessionModel) View(w, h int, spin string) string {
	if m.mach.Token == nil || m.mach.Fin.Item != nil {
		return clip(strings.Join(m.lines(w, false, h, spin), "\n"), w, h)
	}
	return layoutQR(m.qr, w, h, func(colW int, qrShown bool, needH int) []string {
		return m.lines(colW, qrShown, needH, spin)
	})
}

// lines is the checklist column at width colW.
func (m *sessionModel) lines(colW int, qrShown bool, needH int, spin string) []string {
	s, mach := m.c.styles, m.mach
	left := []string{s.Title.Render(wrap(m.sc.Goal(), colW)), ""}
	left = append(left, m.tokenLines(colW, spin)...)
	if mach.Token == nil {
		return left
	}
	if mach.Auto {
		left = append(left, m.spinLine(spin, "Completing the session with "+loginOf(m.sc.AutoCredentials())+"…", m.since.auto, colW))
	}
	left = append(left, m.finishLines(spin, colW)...)
	if mach.Fin.Item != nil {
		// needH is the body height here: the Item gets what the checklist leaves.
		return append(left, "", itemView(s, *mach.Fin.Item, colW, needH-lipgloss.Height(strings.Join(left, "\n"))-1))
	}
	if m.hasCards() {
		left = append(left, "")
		left = append(left, m.cardsView(colW)...)
	}
	left = append(left, urlBlock(m.c, "Hosted Link URL", m.qr, qrShown, colW, needH)...)
	if mach.Token.RedirectURI != "" {
		left = append(left, s.Label.Render("completion_redirect_uri: ")+s.Muted.Render(wrapURL(mach.Token.RedirectURI, colW)))
	}
	return left
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
