package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/browser"
	"github.com/bankdown/linkrecovery/internal/qrscan"
	"github.com/bankdown/linkrecovery/internal/testkit"
	"github.com/bankdown/linkrecovery/internal/testkit/ci"
)

// tmuxSession runs a command in a detached tmux session on its own server socket, so the test sees
// exactly what a user's terminal would (colours included) and never touches the user's tmux.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
	env    []string
}

func (s *tmuxSession) tmux(args ...string) ([]byte, error) {
	cmd := exec.Command("tmux", append([]string{"-L", s.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = s.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// capture returns the visible screen; withColour keeps the SGR escapes (capture-pane -e).
func (s *tmuxSession) capture(withColour bool) string {
	args := []string{"capture-pane", "-p", "-t", s.name}
	if withColour {
		args = append(args, "-e")
	}
	out, err := s.tmux(args...)
	if err != nil {
		return ""
	}
	return string(out)
}

// cleanEnv is the test's environment without Plaid or ngrok keys, so the app runs in demo mode
// whatever the developer has exported. CI goes too: termenv takes any CI variable to mean "not a
// terminal" and drops every colour, but the app here runs in a real terminal (tmux), as a user's does.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PLAID_") || k == "NGROK_AUTHTOKEN" || k == "LINKRECOVERY_DEBUG" || k == "LINKRECOVERY_LAN_ADDRS" || k == "TMUX" || k == "COLORFGBG" || k == "CI" {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "TERM=xterm-256color")
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}

// transcriptRecordHalf returns the first record of the JSON-lines transcript whose "event" is event
// and, when half > 0, whose "half" is half.
func transcriptRecordHalf(path, event string, half int) map[string]any {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var r map[string]any
		if json.Unmarshal(sc.Bytes(), &r) != nil || r["event"] != event {
			continue
		}
		if h, _ := r["half"].(float64); half > 0 && int(h) != half {
			continue
		}
		return r
	}
	return nil
}

// poll waits until f returns true or timeout passes (testkit.Within: a wait on a condition).
func poll(timeout time.Duration, f func() bool) bool { return testkit.Within(timeout, f) }

// app is the linkrecovery binary running in its own tmux server.
type app struct {
	*tmuxSession
	transcript string
	exitFile   string
}

var buildOnce struct {
	sync.Once
	bin string
	out []byte
	err error
}

// startApp builds the binary (once per test run) and starts it in demo mode with args in a detached
// 120×45 tmux session. It skips without tmux (fails under CI).
func startApp(t *testing.T, args ...string) *app {
	t.Helper()
	return startAppEnv(t, nil, args...)
}

// startAppEnv is startApp with extra environment variables (KEY=value) for the app, e.g. a PATH.
func startAppEnv(t *testing.T, extraEnv []string, args ...string) *app {
	t.Helper()
	ci.NeedCommand(t, "tmux", "apt-get install -y tmux")
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "linkrecovery-e2e-bin-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.bin = filepath.Join(dir, "linkrecovery")
		build := exec.Command("go", "build", "-o", buildOnce.bin, ".")
		build.Dir = repoRoot(t)
		buildOnce.out, buildOnce.err = build.CombinedOutput()
	})
	if buildOnce.err != nil {
		t.Fatalf("go build: %v\n%s", buildOnce.err, buildOnce.out)
	}

	dir := t.TempDir()
	a := &app{
		tmuxSession: &tmuxSession{t: t, socket: fmt.Sprintf("lr-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), name: "lr", env: append(cleanEnv(), extraEnv...)},
		transcript:  filepath.Join(dir, "transcript.jsonl"),
		exitFile:    filepath.Join(dir, "exit-code"),
	}
	quoted := []string{shellQuote(buildOnce.bin)}
	for _, arg := range append(args, "--transcript", a.transcript) {
		quoted = append(quoted, shellQuote(arg))
	}
	// The shell records the app's exit code, since the tmux session vanishes with the process.
	script := fmt.Sprintf("%s; echo $? > %s", strings.Join(quoted, " "), shellQuote(a.exitFile))
	if _, err := a.tmux("new-session", "-d", "-s", a.name, "-x", "120", "-y", "45", "-c", dir, "sh", "-c", script); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last screen:\n%s", a.capture(false))
		}
		_, _ = a.tmux("kill-server")
	})
	return a
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// waitQR polls the screen until a QR code other than not decodes, on a dark and on a light terminal
// alike: it must be drawn with explicit colours, not the terminal's defaults (which would invert it on
// a light theme).
func (a *app) waitQR(not string) string {
	t := a.t
	t.Helper()
	var decoded string
	var lastErr error
	if !poll(waitTimeout, func() bool {
		decoded, lastErr = qrscan.DecodeScreen(a.capture(true), qrscan.Dark)
		return lastErr == nil && decoded != not
	}) {
		t.Fatalf("no new readable QR code on screen within %s (last: %q, %v)", waitTimeout, decoded, lastErr)
	}
	if light, err := qrscan.DecodeScreen(a.capture(true), qrscan.Light); err != nil || light != decoded {
		t.Errorf("the QR code does not read on a light terminal (%q, %v): draw it with explicit colours", light, err)
	}
	return decoded
}

// record waits for the first transcript record with this event (and, if half > 0, this half).
func (a *app) record(event string, half int) map[string]any {
	t := a.t
	t.Helper()
	var r map[string]any
	if !poll(waitTimeout, func() bool {
		r = transcriptRecordHalf(a.transcript, event, half)
		return r != nil
	}) {
		t.Fatalf("transcript has no %s record (half %d) within %s", event, half, waitTimeout)
	}
	return r
}

// waitItem waits for half's exchanged Item in the transcript and on the screen, beside a verified
// SESSION_FINISHED, and saves the screen as shot.
func (a *app) waitItem(half int, shot string) {
	t := a.t
	t.Helper()
	item, _ := a.record("public_token_exchanged", half)["item_id"].(string)
	if item == "" {
		t.Fatal("public_token_exchanged has no item_id")
	}
	a.waitScreen("a verified SESSION_FINISHED and the Item", "SESSION_FINISHED received: verified", item)
	saveScreen(t, shot, a.capture(true))
}

// waitScreen polls the plain-text screen until it contains every one of want.
func (a *app) waitScreen(what string, want ...string) {
	t := a.t
	t.Helper()
	var text string
	if !poll(waitTimeout, func() bool {
		text = a.capture(false)
		for _, w := range want {
			if !strings.Contains(text, w) {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("the screen never showed %s (%q)", what, want)
	}
	if fullAccessToken.MatchString(text) {
		t.Errorf("the screen shows an access token in full")
	}
}

// fullAccessToken matches an unmasked Plaid access token; secrets must only ever appear masked.
var fullAccessToken = regexp.MustCompile(`access-(sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}`)

func (a *app) keys(keys ...string) {
	a.t.Helper()
	if _, err := a.tmux(append([]string{"send-keys", "-t", a.name}, keys...)...); err != nil {
		a.t.Fatal(err)
	}
}

// quit presses q and checks the app exits 0 and left its transcript private to the user.
func (a *app) quit() {
	t := a.t
	t.Helper()
	a.keys("q")
	var code string
	if !poll(waitTimeout, func() bool {
		b, err := os.ReadFile(a.exitFile)
		code = strings.TrimSpace(string(b))
		return err == nil && code != ""
	}) {
		t.Fatalf("the app did not exit within %s of q", waitTimeout)
	}
	if code != "0" {
		t.Errorf("the app exited with %s after q, want 0", code)
	}
	fi, err := os.Stat(a.transcript)
	must(t, err)
	if b, _ := os.ReadFile(a.transcript); fullAccessToken.Match(b) {
		t.Errorf("the transcript holds an access token in full: %s", fullAccessToken.Find(b)[:20])
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("transcript mode %v, want 0600 (it records link tokens)", fi.Mode().Perm())
	}
}

// TestTUIQRCodeOpensSessionAndFinishes runs the real binary in a real terminal (tmux), reads the QR
// code off the screen as a phone would, completes the Hosted Link session it points to in Chromium,
// and watches the TUI report the verified SESSION_FINISHED and the exchanged Item.
func TestTUIQRCodeOpensSessionAndFinishes(t *testing.T) {
	ctx := browser.New(t) // skips (or fails under CI) without Chromium
	a := startApp(t, "--half", "2")

	// 1. A QR code appears, and it is the hosted_link_url the app created and shows as text.
	decoded := a.waitQR("")
	saveScreen(t, "tui-qr", a.capture(true))
	hosted, _ := a.record("link_token_created", 2)["hosted_link_url"].(string)
	if hosted == "" || decoded != hosted {
		t.Fatalf("QR code says %q; the app's hosted_link_url is %q", decoded, hosted)
	}
	if !strings.Contains(a.capture(false), hosted) {
		t.Errorf("the screen does not show the hosted_link_url %s as text (for those who cannot scan)", hosted)
	}

	// 2. A "phone" opens it and links First Platypus Bank.
	must(t, browser.Navigate(ctx, decoded))
	selectInstitution(t, ctx, emulator.DefaultInstitutionID)
	login(t, ctx, emulator.UserGood, emulator.PassGood)
	finishAccounts(t, ctx)

	// 3. The TUI shows the verified SESSION_FINISHED and the exchanged Item.
	a.waitItem(2, "tui-finished")
	if w := transcriptRecordHalf(a.transcript, "webhook", 0); w == nil || w["verified"] != true {
		t.Errorf("transcript's first webhook record is not verified: %v", w)
	}
	if d := transcriptRecordHalf(a.transcript, "done", 2); d != nil && d["passed"] != true {
		t.Errorf("transcript says half 2 did not pass: %v", d)
	}

	// 4. q quits cleanly.
	a.quit()
}

// TestTUIRecoveryEmailFlow is half 1 in the real terminal: the QR code's session shows the outage and
// takes the opt-in; r brings the bank back; the recovery e-mail's link appears as a new QR code; the
// session it opens ends with a verified SESSION_FINISHED for the original token and an Item.
func TestTUIRecoveryEmailFlow(t *testing.T) {
	ctx := browser.New(t)
	a := startApp(t, "--half", "1")

	signup := a.waitQR("")
	created := a.record("link_token_created", 1)
	if hosted, _ := created["hosted_link_url"].(string); signup != hosted {
		t.Fatalf("QR code says %q; the app's hosted_link_url is %q", signup, hosted)
	}

	must(t, browser.Navigate(ctx, signup))
	selectInstitution(t, ctx, emulator.DefaultInstitutionID)
	login(t, ctx, emulator.UserGood, emulator.PassInstitutionDown)
	step(t, ctx, "down")
	must(t, browser.Fill(ctx, map[string]string{"email": emulator.RecoveryEmail}))
	must(t, browser.Click(ctx, "#submit"))
	step(t, ctx, "code")
	must(t, browser.Fill(ctx, map[string]string{"code": emulator.RecoveryCode}))
	must(t, browser.Click(ctx, "#submit"))
	step(t, ctx, "followed")

	// The TUI learns of the opt-in (from the webhooks) and offers r.
	a.waitScreen("the opt-in and the r prompt", "Recovery opt-in done", "(press r)")
	a.keys("r")
	a.waitScreen("the recovery e-mail", "recovery e-mail sent")

	// The QR code now carries the e-mail's link; the emulator's inbox agrees.
	mailURL := a.waitQR(signup)
	saveScreen(t, "tui-recovery-qr", a.capture(true))
	base := signup[:strings.Index(signup, "/hosted-link/")]
	// The app's emulator has made-up keys, so read its inbox as the developer would: the inbox page
	// (inbox.json takes the keys, like every machine control endpoint).
	must(t, browser.Navigate(ctx, base+"/emulator/inbox"))
	n, err := browser.Count(ctx, "a.email-link")
	must(t, err)
	href, _, err := browser.Attr(ctx, "a.email-link", "href")
	must(t, err)
	if n != 1 || href != mailURL {
		t.Fatalf("QR code says %q; the emulator's inbox page has %d e-mail link(s), the first %q (want one, with that URL)", mailURL, n, href)
	}

	// The recovery session starts at login: the bank is already known.
	must(t, browser.Navigate(ctx, mailURL))
	login(t, ctx, emulator.UserGood, emulator.PassGood)
	finishAccounts(t, ctx)

	a.waitItem(1, "tui-recovery-finished")
	a.quit()
}

// saveScreen keeps a terminal capture for a person to look at when E2E_SCREENSHOTS names a directory:
// the text, and a PNG of it as the QR reader sees it on a dark theme.
func saveScreen(t *testing.T, name, screen string) {
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(screen), 0o600); err != nil {
		t.Logf("save screen: %v", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name+".png"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Logf("save screen: %v", err)
		return
	}
	defer f.Close()
	img := qrscan.Rasterize(screen, qrscan.Dark)
	if err := png.Encode(f, upscale(img, 3)); err != nil {
		t.Logf("save screen: %v", err)
	}
}

func upscale(img image.Image, k int) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := 0; y < b.Dy()*k; y++ {
		for x := 0; x < b.Dx()*k; x++ {
			out.Set(x, y, img.At(b.Min.X+x/k, b.Min.Y+y/k))
		}
	}
	return out
}
