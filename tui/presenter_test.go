package tui

import (
	"fmt"
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/termbg"
)

// presenterWalk opens the sign-up with the presenter on and walks it to the recovery's
// SESSION_FINISHED, as the core's events would bring it.
func presenterWalk(f *fixture) {
	f.tunnelUp()
	f.key("p")
	i, _ := f.m.runIndex(nSignup)
	f.key(fmt.Sprint(i + 1))
	create := flows.PlaidCall{Method: "POST", Endpoint: "/link/token/create", Status: 200,
		Request:  flows.Body{Text: `{"client_name":"linkrecovery","products":["transactions"],"webhook":"` + fixedHook + `","hosted_link":{}}`},
		Response: flows.Body{Text: `{"link_token":"` + fixedToken1 + `","hosted_link_url":"` + fixedURL1 + `","expiration":"2026-01-02T19:04:05Z"}`}}
	f.send(resultMsg{scenario: nSignup, in: flows.Answered{Input: flows.TokenCreated{Token: f.token(nSignup)}, Calls: []flows.PlaidCall{create}}})
}

// presenterFixture is presenterWalk at w×h, on background bg with colours (nil renderer: none).
func presenterFixture(t *testing.T, w, h int, bg termbg.Background, r *lipgloss.Renderer) *fixture {
	f := newFixture(t, true, w, h, func(o *Options) { o.Background, o.Renderer = bg, r })
	presenterWalk(f)
	return f
}

// recoveryPoint brings the recovery's SESSION_FINISHED to the original token's webhook.
func recoveryPoint(f *fixture) {
	f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
	mail := fixedEmail()
	f.send(restored(nSignup, []flows.Email{mail}, []flows.Email{mail}))
	f.send(webhookReceivedMsg{ev: sessionFinished(2, fixedToken1, true)})
}

func colourRenderer(bg termbg.Background) *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(bg != termbg.LightBackground)
	return r
}

// TestGoldenPresenter pins the presenter pane at 120×40 and 160×48 on a dark and a light theme
// (with colours, since the theme is what differs): the token call, the Link Recovery point, and
// the summary beside the pane once the half passed.
func TestGoldenPresenter(t *testing.T) {
	for _, bg := range []termbg.Background{termbg.DarkBackground, termbg.LightBackground} {
		for _, size := range [][2]int{{120, 40}, {160, 48}} {
			for _, st := range []struct {
				name  string
				build func(*fixture)
			}{{"token", func(*fixture) {}}, {"recovery_point", recoveryPoint}, {"summary", func(f *fixture) {
				recoveryPoint(f)
				f.send(exchanged(nSignup, fixedItem())) // the half passes: its summary beside the pane
			}}} {
				t.Run(fmt.Sprintf("%s_%s_%dx%d", st.name, bg, size[0], size[1]), func(t *testing.T) {
					f := presenterFixture(t, size[0], size[1], bg, colourRenderer(bg))
					st.build(f)
					golden.RequireEqual(t, f.m.View())
				})
			}
		}
	}
}

// TestPresenterShowsTheCallAndThePoint: the pane shows /link/token/create's fields that matter,
// and calls out the Link Recovery point only where the recovery SESSION_FINISHED reaches the
// original token's webhook.
func TestPresenterShowsTheCallAndThePoint(t *testing.T) {
	f := presenterFixture(t, 160, 48, termbg.DarkBackground, nil)
	v := f.m.View()
	for _, want := range []string{"POST /link/token/create", "webhook", "hosted_link", "products", "link_token", "hosted_link_url", "expiration", "WHY", docHostedLink} {
		if !strings.Contains(v, want) {
			t.Errorf("the pane lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "LINK RECOVERY POINT") {
		t.Errorf("the point is called out before the recovery:\n%s", v)
	}
	// The sign-up's own EXITED SESSION_FINISHED is not the point.
	f.send(webhookReceivedMsg{ev: sessionExited(1, fixedToken1)})
	if v := f.m.View(); strings.Contains(v, "LINK RECOVERY POINT") || !strings.Contains(v, "public_tokens") {
		t.Errorf("the EXITED webhook: want its public_tokens, no point:\n%s", v)
	}
	recoveryPoint(f)
	if v := f.m.View(); !strings.Contains(v, "LINK RECOVERY POINT") || !strings.Contains(v, "ORIGINAL") {
		t.Errorf("the recovery SESSION_FINISHED does not call out the point:\n%s", v)
	}
}

// TestPresenterWidthIsStable: the pane keeps its width whatever step it shows, and ← → page.
func TestPresenterWidthIsStable(t *testing.T) {
	f := presenterFixture(t, 120, 40, termbg.DarkBackground, nil)
	recoveryPoint(f)
	n := f.m.presenter.count(nSignup)
	if n < 4 {
		t.Fatalf("%d steps, want the call, the webhooks and the e-mail", n)
	}
	scr := f.m.current().driver()
	widths := map[int]bool{}
	titles := map[string]bool{}
	for i := 0; i < n; i++ {
		pane := f.m.presenter.pane(f.m.c.styles, nSignup, scr.st, presenterWidth(f.m.c.bodyW), f.m.c.bodyH)
		for _, l := range strings.Split(pane, "\n") {
			widths[ansi.StringWidth(l)] = true
		}
		titles[strings.Split(pane, "\n")[1]] = true
		f.key("left")
	}
	if len(widths) != 1 {
		t.Errorf("pane line widths %v, want one", widths)
	}
	if len(titles) != n {
		t.Errorf("← showed %d different steps of %d", len(titles), n)
	}
}

// TestPresenterHidesOnSmallTerminals: at 80×24 the pane gives way to a one-line notice.
func TestPresenterHidesOnSmallTerminals(t *testing.T) {
	f := presenterFixture(t, 80, 24, termbg.DarkBackground, nil)
	v := f.m.View()
	if !strings.Contains(v, "Presenter view: needs at least") || strings.Contains(v, "WHAT HAPPENED") {
		t.Errorf("at 80×24:\n%s", v)
	}
}

// TestPresenterSpaceStepsTheWalk: with the pane on, a pauses before the first page and space
// asks for exactly one page.
func TestPresenterSpaceStepsTheWalk(t *testing.T) {
	f := presenterFixture(t, 120, 40, termbg.DarkBackground, nil)
	var effs []flows.Effect
	f.m.c.effectCmd = func(_ string, eff flows.Effect) tea.Cmd { effs = append(effs, eff); return nil }
	f.key("a")
	if len(effs) != 0 || !strings.Contains(f.m.View(), "Next: choose the bank") {
		t.Fatalf("a with the presenter: effects %v, want a pause before the bank:\n%s", effs, f.m.View())
	}
	f.key(" ")
	if len(effs) != 1 {
		t.Fatalf("space: effects %v, want one page", effs)
	}
	if _, ok := effs[0].(flows.WalkPage); !ok {
		t.Fatalf("space asked for %T, want flows.WalkPage", effs[0])
	}
	f.send(resultMsg{scenario: nSignup, in: flows.PageWalked{Step: flows.PageStep{From: flows.PageSelect, To: flows.PageLogin}}})
	if v := f.m.View(); !strings.Contains(v, "The person chooses the bank") || !strings.Contains(v, "Next: log in") {
		t.Errorf("after the first page:\n%s", v)
	}
	f.key("p") // off: the paused page goes at once, as without the presenter
	if len(effs) != 2 {
		t.Errorf("closing the presenter while paused: effects %v, want the page performed", effs)
	}
}

// TestPresenterContrast: every letter of the pane reads at least 7:1 on a dark and a light
// theme, in true colour and degraded to 256 colours.
func TestPresenterContrast(t *testing.T) {
	eachTheme(t, darkAndLight, func(t *testing.T, r *lipgloss.Renderer, bg termbg.Background) {
		f := presenterFixture(t, 160, 48, bg, r)
		recoveryPoint(f)
		scr := f.m.current().driver()
		for i := 0; i < f.m.presenter.count(nSignup); i++ {
			pane := f.m.presenter.pane(f.m.c.styles, nSignup, scr.st, 64, 40)
			n, bad := checkContrastMin(pane, bg, 7)
			if n == 0 {
				t.Fatal("no coloured letter: nothing was checked")
			}
			for _, b := range bad {
				t.Errorf("step %d: %s", i, b)
			}
			f.key("left")
		}
	})
}

// Each Hosted Link page is explained by the page left; the login page by where it led.
func TestExplainPageByWhereItLed(t *testing.T) {
	kv := func(k, v string) string { return k + ": " + v }
	for _, tc := range []struct {
		from, to  flows.Page
		recovery  bool
		title     string
		recoverys bool // the Link Recovery docs, not Hosted Link's
	}{
		{flows.PageSelect, flows.PageLogin, false, "The person chooses the bank", false},
		{flows.PageLogin, flows.PageDown, false, "The person logs in, and the bank is down", true},
		{flows.PageLogin, flows.PageAccounts, true, "The person is back, from the recovery e-mail", true},
		{flows.PageLogin, flows.PageAccounts, false, "The person logs in", false},
		{flows.PageDown, flows.PageCode, false, "The person opts in to the recovery e-mail", true},
		{flows.PageCode, flows.PageFollowed, false, "The person confirms the e-mail with its code", true},
		{flows.PageAccounts, flows.PageSuccess, false, "The person chooses the accounts and finishes", false},
		{"consent", flows.PageSelect, false, "Hosted Link page: consent", false},
	} {
		x := explainPage(flows.PageSubmitted{Step: flows.PageStep{From: tc.from, To: tc.to}, Recovery: tc.recovery}, kv)
		wantDoc := docHostedLink
		if tc.recoverys {
			wantDoc = docLinkRecovery
		}
		if x.title != tc.title || x.doc != wantDoc || x.why == "" {
			t.Errorf("%s → %s (recovery %v): %q, doc %s, why %q; want %q, doc %s", tc.from, tc.to, tc.recovery, x.title, x.doc, x.why, tc.title, wantDoc)
		}
		if want := "Hosted Link: " + string(tc.from) + " → " + string(tc.to); len(x.what) != 1 || x.what[0] != want {
			t.Errorf("%s → %s: what %q, want %q", tc.from, tc.to, x.what, want)
		}
	}
}
