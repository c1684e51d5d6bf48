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
	"testing"
	"time"

	"github.com/linkrecovery/linkrecovery/emulator"
	"github.com/linkrecovery/linkrecovery/internal/browser"
	"github.com/linkrecovery/linkrecovery/internal/qrscan"
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
// whatever the developer has exported.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PLAID_") || k == "NGROK_AUTHTOKEN" || k == "LINKRECOVERY_DEBUG" || k == "TMUX" || k == "COLORFGBG" {
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

// transcriptRecord returns the first record of the JSON-lines transcript whose "event" is event.
func transcriptRecord(path, event string) map[string]any {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var r map[string]any
		if json.Unmarshal(sc.Bytes(), &r) == nil && r["event"] == event {
			return r
		}
	}
	return nil
}

// poll calls f every 250 ms until it returns true or timeout passes.
func poll(timeout time.Duration, f func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

var ansiRE = regexp.MustCompile(`\x1b\[[0-9;:?]*[A-Za-z]`)

// TestTUIQRCodeOpensSessionAndFinishes runs the real binary in a real terminal (tmux), reads the QR
// code off the screen as a phone would, completes the Hosted Link session it points to in Chromium,
// and watches the TUI report the verified SESSION_FINISHED and the exchanged Item.
func TestTUIQRCodeOpensSessionAndFinishes(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tmux is not installed, and CI is set: install it (apt-get install -y tmux)")
		}
		t.Skip("skipping: tmux is not installed (apt-get install -y tmux)")
	}
	ctx := browser.New(t) // skips (or fails under CI) without Chromium, before the slow build

	dir := t.TempDir()
	bin := filepath.Join(dir, "linkrecovery")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	transcript := filepath.Join(dir, "transcript.jsonl")
	exitFile := filepath.Join(dir, "exit-code")
	s := &tmuxSession{t: t, socket: fmt.Sprintf("lr-e2e-%d", os.Getpid()), name: "lr", env: cleanEnv()}
	// The shell records the app's exit code, since the tmux session vanishes with the process.
	script := fmt.Sprintf("'%s' --half 2 --transcript '%s'; echo $? > '%s'", bin, transcript, exitFile)
	if _, err := s.tmux("new-session", "-d", "-s", s.name, "-x", "120", "-y", "45", "-c", dir, "sh", "-c", script); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = s.tmux("kill-server") })
	defer func() {
		if t.Failed() {
			t.Logf("last screen:\n%s", s.capture(false))
		}
	}()

	// 1. The QR code appears and decodes, on a dark and on a light terminal alike: it is drawn with
	// explicit colours, not the terminal's defaults (which would invert it on a light theme).
	var decoded string
	var lastErr error
	if !poll(90*time.Second, func() bool {
		screen := s.capture(true)
		decoded, lastErr = qrscan.DecodeScreen(screen, qrscan.Dark)
		return lastErr == nil
	}) {
		t.Fatalf("no readable QR code on screen within 90s: %v", lastErr)
	}
	saveScreen(t, "tui-qr", s.capture(true))
	if light, err := qrscan.DecodeScreen(s.capture(true), qrscan.Light); err != nil || light != decoded {
		t.Errorf("the QR code does not read on a light terminal (%q, %v): draw it with explicit colours", light, err)
	}

	// 2. It is the hosted_link_url the app created.
	var created map[string]any
	if !poll(10*time.Second, func() bool { created = transcriptRecord(transcript, "link_token_created"); return created != nil }) {
		t.Fatalf("transcript %s has no link_token_created record", transcript)
	}
	hosted, _ := created["hosted_link_url"].(string)
	if hosted == "" || decoded != hosted {
		t.Fatalf("QR code says %q; the app's hosted_link_url is %q", decoded, hosted)
	}
	if plain := s.capture(false); !strings.Contains(plain, hosted) {
		t.Errorf("the screen does not show the hosted_link_url %s as text (for those who cannot scan)", hosted)
	}
	t.Logf("QR code decodes to the hosted_link_url %s", hosted)

	// 3. A "phone" opens it and links First Platypus Bank.
	must(t, browser.Navigate(ctx, decoded))
	selectInstitution(t, ctx, emulator.DefaultInstitutionID)
	login(t, ctx, emulator.UserGood, emulator.PassGood)
	finishAccounts(t, ctx)

	// 4. The TUI shows the verified SESSION_FINISHED and the exchanged Item.
	var exchanged map[string]any
	if !poll(90*time.Second, func() bool {
		exchanged = transcriptRecord(transcript, "public_token_exchanged")
		return exchanged != nil
	}) {
		t.Fatalf("no public_token_exchanged in the transcript within 90s")
	}
	item, _ := exchanged["item_id"].(string)
	if item == "" {
		t.Fatalf("public_token_exchanged has no item_id: %v", exchanged)
	}
	var text string
	if !poll(30*time.Second, func() bool {
		text = ansiRE.ReplaceAllString(s.capture(false), "")
		return strings.Contains(text, "SESSION_FINISHED received: verified") && strings.Contains(text, item)
	}) {
		t.Fatalf("the screen never showed a verified SESSION_FINISHED and item %s", item)
	}
	saveScreen(t, "tui-finished", s.capture(true))
	webhook := transcriptRecord(transcript, "webhook")
	if webhook == nil || webhook["verified"] != true {
		t.Errorf("transcript's first webhook record is not verified: %v", webhook)
	}

	// 5. q quits cleanly, and the transcript is private to the user.
	if _, err := s.tmux("send-keys", "-t", s.name, "q"); err != nil {
		t.Fatal(err)
	}
	var code string
	if !poll(20*time.Second, func() bool {
		b, err := os.ReadFile(exitFile)
		code = strings.TrimSpace(string(b))
		return err == nil && code != ""
	}) {
		t.Fatalf("the app did not exit within 20s of q")
	}
	if code != "0" {
		t.Errorf("the app exited with %s after q, want 0", code)
	}
	fi, err := os.Stat(transcript)
	must(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("transcript mode %v, want 0600 (it records link tokens)", fi.Mode().Perm())
	}
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
