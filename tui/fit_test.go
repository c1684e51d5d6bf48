package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/termbg"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// xdgOpenDump is what xdg-open prints in a container with no browser: eleven lines.
const xdgOpenDump = `exit status 3: /usr/bin/xdg-open: 882: www-browser: not found
/usr/bin/xdg-open: 882: links2: not found
/usr/bin/xdg-open: 882: elinks: not found
/usr/bin/xdg-open: 882: links: not found
/usr/bin/xdg-open: 882: lynx: not found
/usr/bin/xdg-open: 882: w3m: not found
xdg-open: no method available for opening 'http://127.0.0.1:41000/hosted-link/66666666-7777-4888-9999-aaaaaaaaaaaa'
	(tab-indented line from a tool)
line nine
line ten
line eleven`

// fitScenarios are the golden screens plus the ones that grow the chrome: a long error box, the
// refused-request box, the clock warning, the free-plan note, a tunnel failure, the inbox, the
// webhook-timeout warning, a status line.
func fitScenarios() []goldenScenario {
	out := append([]goldenScenario{}, goldenScenarios...)
	add := func(name string, demo bool, build func(f *fixture)) {
		out = append(out, goldenScenario{name, demo, build})
	}
	add("open_failed_dump", true, func(f *fixture) {
		f.open(nSession)
		f.send(stepErrMsg{step: "open the browser", err: errors.New(xdgOpenDump)})
	})
	add("refused_late_webhook", true, func(f *fixture) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventRejected, Seq: 9, At: t0, Status: 400,
			Reason: "the JWT's iat is more than 5 minutes old: " + strings.Repeat("a long reason ", 12), Body: []byte(`{"webhook_type":"LINK"}`)}})
	})
	add("refused_body_with_tabs", true, func(f *fixture) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventRejected, Seq: 9, At: t0, Status: 415,
			Reason: "Content-Type is text/plain", Body: []byte("a=1\tb=2\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\tc=3\r\nline two\twith\ttabs " + strings.Repeat("x", 300))}})
		f.key("w")
	})
	add("everything_at_once", false, func(f *fixture) {
		f.m.header.baseURL = "http://127.0.0.1:49999/a/very/long/plaid/base/url/override/that/goes/on"
		f.m.header.freePlan = true
		f.send(tunnelMsg{in: flows.TunnelUp{Provider: string(tunnel.ProviderNgrok), WebhookURL: "https://abc.ngrok-free.app/webhook", FreePlan: true}})
		f.m.header.clock = "your clock is 7 minutes ahead of Plaid's; webhooks will fail verification (iat) until you fix the time: " + strings.Repeat("sync it ", 10)
		f.key("1")
		f.send(created(nSignup, f.token(nSignup)))
		f.send(callFailed(nSignup, "poll /link/token/get", errors.New(xdgOpenDump)))
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventRejected, Seq: 9, At: t0, Status: 401, Reason: "no Plaid-Verification header"}})
		f.key("?")
	})
	add("inbox_and_timeout", true, func(f *fixture) {
		f.open(nSignup)
		f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
		mail := fixedEmail()
		f.send(restored(nSignup, []flows.Email{mail}, []flows.Email{mail}))
		f.clock.t = t0.Add(4 * time.Minute)
		f.send(timedOut(nSignup, fixedToken1))
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventRejected, Seq: 9, At: t0, Status: 400, Reason: "late"}})
	})
	add("tunnel_failed_half", false, func(f *fixture) {
		f.send(tunnelMsg{in: flows.TunnelDown{Err: &tunnel.Error{Provider: tunnel.ProviderNgrok,
			Cause: "dial tcp: lookup connect.ngrok-agent.com: no such host " + strings.Repeat("x ", 40), Next: "check the network, then press t"}}})
		f.key("2")
		f.send(created(nSession, f.token(nSession)))
		f.send(callFailed(nSession, "create link token", errors.New(xdgOpenDump)))
	})
	return out
}

// TestViewFitsTerminal: Bubble Tea v1's renderer drops the TOP lines of a frame taller than the
// terminal (the header and the top of the QR code go first), and a line wider than the terminal
// wraps and scrolls the screen. So no screen may ever be taller or wider than the terminal, and it
// must fit by layout, not by the last-resort clip in View: the footer (how to quit) is the last line.
func TestViewFitsTerminal(t *testing.T) {
	// Widths and heights where the layout changes (tiny limit, 80 columns, the QR code beside the
	// checklist or not, the footer's keys cut) and a spread around them.
	var sizes [][2]int
	for _, w := range []int{40, 47, 60, 73, 80, 87, 94, 101, 120, 160, 200} {
		for _, h := range []int{10, 12, 13, 16, 20, 24, 30, 40, 45, 60} {
			sizes = append(sizes, [2]int{w, h})
		}
	}
	sizes = append(sizes, [2]int{120, 44}, [2]int{80, 25}, [2]int{39, 11})
	for _, sc := range fitScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			f := newFixture(t, sc.demo, 120, 45)
			sc.build(f)
			for _, views := range []string{"main", "qr", "inspector"} {
				g := *f
				switch views {
				case "qr":
					if !g.m.keys.QR.Enabled() {
						continue
					}
					g.key("v")
				case "inspector":
					g.key("w")
				}
				bad := 0
				for _, sz := range sizes {
					g.send(teaSize(sz[0], sz[1]))
					v := g.m.View()
					if msg := fits(v, sz[0], sz[1]); msg != "" {
						bad++
						if bad <= 3 {
							t.Errorf("%s view at %dx%d: %s\n%s", views, sz[0], sz[1], msg, v)
						}
					}
				}
				if bad > 3 {
					t.Errorf("%s view: %d more sizes do not fit", views, bad-3)
				}
			}
		})
	}
}

// fits says what is wrong with a frame for a w×h terminal ("" when it fits).
func fits(v string, w, h int) string {
	if got := lipgloss.Height(v); got > h {
		return fmt.Sprintf("%d lines, terminal has %d", got, h)
	}
	lines := strings.Split(v, "\n")
	// "ctrl+c quit" while the audit's target line takes q as a letter.
	if last := ansi.Strip(lines[len(lines)-1]); !strings.Contains(last, "q quit") && !strings.Contains(last, "ctrl+c quit") {
		return fmt.Sprintf("the last line is not the footer (how to quit): the frame was cut at the bottom: %q", last)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got > w {
			return fmt.Sprintf("line %d is %d cells wide, terminal has %d: %q", i+1, got, w, ansi.Strip(l))
		}
		if strings.ContainsAny(ansi.Strip(l), "\t\r") {
			return fmt.Sprintf("line %d holds a tab or carriage return, which the terminal moves the cursor for: %q", i+1, ansi.Strip(l))
		}
	}
	return ""
}

// TestCardsKeepLabelsAndSayMore: at 80×24 every credential row keeps its label; at 60×15, where
// not all rows fit, the header says how many more there are.
func TestCardsKeepLabelsAndSayMore(t *testing.T) {
	f := newFixture(t, true, 80, 24)
	f.open(nSignup)
	v := ansi.Strip(f.m.View())
	for _, label := range []string{"log in ", "or ", "opt in "} {
		if !strings.Contains(v, "\n"+label) {
			t.Errorf("80×24: no row labelled %q:\n%s", label, v)
		}
	}
	f = newFixture(t, true, 60, 15)
	f.open(nSignup)
	if v := ansi.Strip(f.m.View()); !strings.Contains(v, "\nlog in [user_good]  error_INSTITUTION_DOWN   +2 more (tab)") {
		t.Errorf("60×15: nothing says there are more credentials:\n%s", v)
	}
}

// The Item fits the lines it is given, from one up, and always names itself and its accounts:
// listed when there is room, counted when not. The access token stays masked at every size.
func TestItemViewFitsItsLines(t *testing.T) {
	s := newStyles(nil, termbg.DarkBackground)
	it := fixedItem()
	for maxLines := 1; maxLines <= 10; maxLines++ {
		v := itemView(s, it, 60, maxLines)
		plain := ansi.Strip(v)
		if h := lipgloss.Height(v); h > maxLines {
			t.Errorf("%d lines: the Item takes %d:\n%s", maxLines, h, plain)
		}
		if lipgloss.Width(v) > 60 {
			t.Errorf("%d lines: wider than 60:\n%s", maxLines, plain)
		}
		listed := strings.Contains(plain, "Plaid Checking")
		counted := strings.Contains(plain, fmt.Sprintf("%d accounts", len(it.Accounts))) || strings.Contains(plain, "more (a taller window")
		if !strings.Contains(plain, it.ItemID) || !listed && !counted || strings.Contains(plain, it.AccessToken) {
			t.Errorf("%d lines:\n%s", maxLines, plain)
		}
	}
}
