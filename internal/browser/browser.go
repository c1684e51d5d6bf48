// Package browser starts a headless Chromium for tests, so the emulator's Hosted Link pages are driven
// the way a user's phone would drive them: real HTML forms, real redirects, no JavaScript shortcuts.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bankdown/linkrecovery/internal/testkit/ci"
)

// DefaultPath is where Debian's chromium package installs the browser.
const DefaultPath = "/usr/bin/chromium"

// EnvPath overrides DefaultPath.
const EnvPath = "CHROMIUM"

// Phone-sized viewport (an iPhone 12–15 is 390 CSS pixels wide): the Hosted Link pages are opened
// from a QR code on a phone, so that is the width they must work at.
const (
	PhoneWidth  = 390
	PhoneHeight = 844
)

// StepTimeout bounds each wait for the browser to start, a page to load or an element to appear. It
// is generous because several builds and the whole test suite share two cores; a wait ends as soon
// as its condition holds, so it costs nothing when things are fast. A test may shorten it to see a
// wait fail.
var StepTimeout = 2 * time.Minute

// evalTimeout bounds one evaluation in the page (the step marker, the URL, a count, the phone-layout
// check), including the ones Describe makes for a failure message after StepTimeout ran out; it is
// apart from StepTimeout so a test that shortens StepTimeout still gets the description.
const evalTimeout = 2 * time.Minute

// ExecPath returns the browser to run: $CHROMIUM, else /usr/bin/chromium, else chromium or
// chromium-browser or google-chrome on $PATH. The error says how to get one.
func ExecPath() (string, error) {
	if p := os.Getenv(EnvPath); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("%s=%q is not an executable: %v (fix or unset %s)", EnvPath, p, err, EnvPath)
		}
		return p, nil
	}
	if _, err := exec.LookPath(DefaultPath); err == nil {
		return DefaultPath, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium at %s, on PATH or in $%s", DefaultPath, EnvPath)
}

// New starts a headless Chromium with a phone-sized viewport and returns a chromedp context for one
// tab. The browser and its temporary profile are removed in t.Cleanup. Without a browser the test is
// skipped, except under CI, which installs Chromium (see package ci).
func New(t testing.TB) context.Context {
	t.Helper()
	path, err := ExecPath()
	if err != nil {
		ci.Missing(t, err.Error(), "apt-get install -y chromium (or set $"+EnvPath+" to its path)")
	}
	profile, err := os.MkdirTemp("", "linkrecovery-chromium-")
	if err != nil {
		t.Fatalf("browser: temp profile: %v", err)
	}
	// The browser's own output, kept for the failure message: "it didn't start" alone helps nobody.
	out := &syncBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // containers and CI runners rarely allow the user-namespace sandbox
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Tests talk to 127.0.0.1 only; QUIC and the other background fetches would only try to reach
		// the internet and slow the start.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.WindowSize(PhoneWidth, PhoneHeight),
		chromedp.CombinedOutput(out),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(func(format string, args ...any) {
		t.Logf("chromedp: "+format, args...)
	}))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // also waits for the browser process to exit
		_ = os.RemoveAll(profile)
	})
	// Start the browser now, so a broken install fails here with its output rather than in the middle
	// of a test step.
	// The first run must use ctx itself, not a derived context with a deadline: chromedp ties the
	// browser's life to the context of that first call. A watchdog bounds the start instead.
	watchdog := time.AfterFunc(StepTimeout, cancelTab)
	err = chromedp.Do(ctx, chromedp.EmulateViewport(PhoneWidth, PhoneHeight, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	if !watchdog.Stop() && err == nil {
		err = fmt.Errorf("timed out after %s", StepTimeout)
	}
	if err != nil {
		t.Fatalf("browser: starting %s: %v\nbrowser output:\n%s", path, err, tail(out.String(), 2000))
	}
	return ctx
}

// StepSelector is the CSS selector of the Hosted Link page contract's step marker.
func StepSelector(step string) string {
	return fmt.Sprintf(`main#step[data-step=%q]`, step)
}

// Navigate opens url and waits for the page to load.
func Navigate(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("open %s: %w", url, err)
	}
	return nil
}

// CurrentStep returns data-step of main#step on the current page ("" when there is none).
func CurrentStep(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[string](
		`(document.querySelector('main#step') || {dataset: {}}).dataset.step || ''`))
}

// WaitStep waits until the page shows main#step[data-step=step]. On timeout the error names the step
// the page is actually on and quotes its text, which is usually the explanation.
func WaitStep(ctx context.Context, step string) error {
	return WaitFor(ctx, StepSelector(step), "step "+step)
}

// WaitFor waits until an element matching the CSS selector sel is present; what names it in errors.
func WaitFor(ctx context.Context, sel, what string) error {
	wctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	err := chromedp.Do(wctx, chromedp.WaitReady(chromedp.CSS(sel)))
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
	}
	return fmt.Errorf("waiting for %s (%s): %w; %s", what, sel, err, Describe(ctx))
}

// Describe summarises the current page (URL, step, error code, visible text) for failure messages.
func Describe(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	step, _ := CurrentStep(ctx)
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	code, _ := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(document.querySelector('#error') || {dataset: {}}).dataset.code || ''`))
	var b strings.Builder
	fmt.Fprintf(&b, "page is at %s, step %q", redact(loc), step)
	if code != "" {
		fmt.Fprintf(&b, ", error %s", code)
	}
	fmt.Fprintf(&b, ", text: %q", tail(strings.Join(strings.Fields(text), " "), 400))
	return b.String()
}

// Text returns the visible text of the first element matching the CSS selector sel.
func Text(ctx context.Context, sel string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		return "", fmt.Errorf("text of %s: %w", sel, err)
	}
	return strings.TrimSpace(s), nil
}

// Attr returns attribute name of the first element matching sel, and whether it was set.
func Attr(ctx context.Context, sel, name string) (string, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	r, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		return "", false, fmt.Errorf("attribute %s of %s: %w", name, sel, err)
	}
	return r.Value, r.Exists, nil
}

// Fill sets form fields by name (input[name=...]) on the current page.
func Fill(ctx context.Context, fields map[string]string) error {
	ctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	for name, v := range fields {
		sel := fmt.Sprintf(`[name=%q]`, name)
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(sel), v)); err != nil {
			return fmt.Errorf("fill %s: %w; %s", sel, err, Describe(ctx))
		}
	}
	return nil
}

// Click clicks the first element matching the CSS selector sel and waits for the page it leads to to
// load (every button on the Hosted Link pages submits a form or follows a link).
func Click(ctx context.Context, sel string) error {
	cctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(cctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		return fmt.Errorf("click %s: %w; %s", sel, err, Describe(ctx))
	}
	return nil
}

// Location returns the current URL.
func Location(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Location())
}

// Screenshot writes a PNG of the whole page to path.
func Screenshot(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	return os.WriteFile(path, png, 0o600)
}

// ScreenshotOnFailure registers a cleanup that, if the test failed, saves a screenshot of the page to
// the temp dir and logs its path. Call it after New, so it runs before the browser is closed.
func ScreenshotOnFailure(t testing.TB, ctx context.Context) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")
		p := filepath.Join(os.TempDir(), fmt.Sprintf("%s-%d.png", name, time.Now().UnixNano()))
		if err := Screenshot(ctx, p); err != nil {
			t.Logf("browser: no failure screenshot: %v", err)
			return
		}
		t.Logf("browser: page at failure: %s; screenshot %s", Describe(ctx), p)
	})
}

// tokenRE matches Plaid-style tokens in URLs; link tokens are short-lived but access tokens are
// secrets, and a URL in a log should never carry one in full.
var tokenRE = regexp.MustCompile(`((?:access|link|public)-(?:sandbox|development|production)-)([0-9a-f-]{8})[0-9a-f-]+`)

func redact(s string) string { return tokenRE.ReplaceAllString(s, "${1}${2}…") }

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// syncBuffer is a bytes.Buffer safe for the browser's output goroutine and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runInt(ctx context.Context, expr string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[int](expr))
}

// Count returns how many elements match the CSS selector sel (0 when none; it does not wait).
func Count(ctx context.Context, sel string) (int, error) {
	b, err := json.Marshal(sel)
	if err != nil {
		return 0, err
	}
	return runInt(ctx, fmt.Sprintf(`document.querySelectorAll(%s).length`, b))
}

// phoneCheck is evaluated in the page; it returns a list of problems a phone user would hit.
const phoneCheck = `(() => {
  const out = [];
  const vp = document.querySelector('meta[name="viewport"]');
  if (!vp || !/width=device-width/.test(vp.content)) out.push('no <meta name="viewport" content="width=device-width…">: phones render it zoomed out');
  const de = document.documentElement, over = de.scrollWidth - de.clientWidth;
  if (over > 1) out.push('page is ' + over + 'px wider than the ' + de.clientWidth + 'px screen: it scrolls sideways');
  for (const el of document.querySelectorAll('button, input[type=submit], a#continue, a#exit, a.email-link')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue; // hidden
    if (r.height < 32) out.push((el.id ? '#' + el.id : el.tagName.toLowerCase()) + ' "' + el.textContent.trim().slice(0, 30) + '" is ' + Math.round(r.height) + 'px tall: too small to tap');
  }
  return out;
})()`

// CheckPhoneLayout reports what makes the current page hard to use on a 390px phone: no viewport
// meta, sideways scrolling, or buttons and key links shorter than 32 CSS pixels.
func CheckPhoneLayout(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, evalTimeout)
	defer cancel()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](phoneCheck))
	if err != nil {
		return fmt.Errorf("phone layout check: %w", err)
	}
	if len(problems) > 0 {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		return fmt.Errorf("%s is hard to use on a phone: %s", redact(loc), strings.Join(problems, "; "))
	}
	return nil
}
