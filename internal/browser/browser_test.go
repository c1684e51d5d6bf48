package browser

import (
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// pages is a two-step form in the Hosted Link page contract's shape.
func pages() http.Handler {
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, step, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>t</title></head>
<body><main id="step" data-step="%s">%s</main></body></html>`, step, body)
	}
	mux.HandleFunc("GET /start", func(w http.ResponseWriter, r *http.Request) {
		page(w, "login", `<form method="post" action="/login"><input name="username"><input name="password" type="password"><button id="submit">Log in</button></form>`)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("username") != "user_good" || r.FormValue("password") != "pass_good" {
			page(w, "login", `<p id="error" data-code="INVALID_CREDENTIALS">Wrong username or password.</p>`)
			return
		}
		page(w, "success", `<p id="status">Success</p><a id="continue" href="/done">Continue</a>`)
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) { page(w, "done", "bye") })
	// Pages a phone user would struggle with: a 900px-wide block and a tiny button; ?nometa also
	// drops the viewport meta.
	mux.HandleFunc("GET /bad", func(w http.ResponseWriter, r *http.Request) {
		meta := `<meta name="viewport" content="width=device-width, initial-scale=1">`
		if r.URL.Query().Has("nometa") {
			meta = ""
		}
		fmt.Fprintf(w, `<!doctype html>%s<main id="step" data-step="bad"><div style="width:900px">wide</div><button id="submit" style="height:14px;font-size:8px">go</button></main>`, meta)
	})

	return mux
}

func TestDrivesForms(t *testing.T) {
	ts := httptest.NewServer(pages())
	defer ts.Close()
	ctx := New(t)
	ScreenshotOnFailure(t, ctx)

	if err := Navigate(ctx, ts.URL+"/start"); err != nil {
		t.Fatal(err)
	}
	if err := WaitStep(ctx, "login"); err != nil {
		t.Fatal(err)
	}
	if step, err := CurrentStep(ctx); err != nil || step != "login" {
		t.Fatalf("CurrentStep = %q, %v", step, err)
	}

	// Wrong password: same step, with the error marker.
	if err := Fill(ctx, map[string]string{"username": "user_good", "password": "nope"}); err != nil {
		t.Fatal(err)
	}
	if err := Click(ctx, "#submit"); err != nil {
		t.Fatal(err)
	}
	if err := WaitFor(ctx, `#error[data-code="INVALID_CREDENTIALS"]`, "the credentials error"); err != nil {
		t.Fatal(err)
	}

	if err := Navigate(ctx, ts.URL+"/start"); err != nil {
		t.Fatal(err)
	}
	if err := Fill(ctx, map[string]string{"username": "user_good", "password": "pass_good"}); err != nil {
		t.Fatal(err)
	}
	if err := Click(ctx, "#submit"); err != nil {
		t.Fatal(err)
	}
	if err := WaitStep(ctx, "success"); err != nil {
		t.Fatal(err)
	}
	if s, err := Text(ctx, "#status"); err != nil || s != "Success" {
		t.Fatalf("status = %q, %v", s, err)
	}
	href, ok, err := Attr(ctx, "#continue", "href")
	if err != nil || !ok || href != "/done" {
		t.Fatalf("href = %q %v %v", href, ok, err)
	}
	if err := Click(ctx, "#continue"); err != nil {
		t.Fatal(err)
	}
	if loc, err := Location(ctx); err != nil || loc != ts.URL+"/done" {
		t.Fatalf("location = %q, %v", loc, err)
	}

	// The viewport is phone-sized: the page lays out at 390 CSS pixels.
	w, err := chromedpWidth(ctx)
	if err != nil || w != PhoneWidth {
		t.Fatalf("innerWidth = %d, %v; want %d", w, err, PhoneWidth)
	}

	if err := CheckPhoneLayout(ctx); err != nil {
		t.Errorf("a simple page with a viewport meta failed the phone check: %v", err)
	}
	if err := Navigate(ctx, ts.URL+"/bad"); err != nil {
		t.Fatal(err)
	}
	err = CheckPhoneLayout(ctx)
	for _, want := range []string{"sideways", "#submit"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("phone check of a bad page: want a problem mentioning %q, got %v", want, err)
		}
	}
	if err := Navigate(ctx, ts.URL+"/bad?nometa"); err != nil {
		t.Fatal(err)
	}
	if err := CheckPhoneLayout(ctx); err == nil || !strings.Contains(err.Error(), "viewport") {
		t.Errorf("phone check of a page without viewport meta: got %v", err)
	}

	p := filepath.Join(t.TempDir(), "shot.png")
	if err := Screenshot(ctx, p); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if img.Bounds().Dx() < PhoneWidth {
		t.Fatalf("screenshot %v narrower than the viewport", img.Bounds())
	}
}

func TestWaitStepTimeoutSaysWhere(t *testing.T) {
	ts := httptest.NewServer(pages())
	defer ts.Close()
	ctx := New(t)
	if err := Navigate(ctx, ts.URL+"/start"); err != nil {
		t.Fatal(err)
	}
	// Only the wait that must fail is short; Describe's evaluations keep their own bound.
	old := StepTimeout
	StepTimeout = 2e9
	defer func() { StepTimeout = old }()
	err := WaitStep(ctx, "accounts")
	if err == nil {
		t.Fatal("waiting for a step that never comes succeeded")
	}
	for _, want := range []string{`step "login"`, "step accounts", "/start"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestRedact(t *testing.T) {
	got := redact("http://x/hosted-link/1?t=link-sandbox-af1a0311-da53-4636-b754-dd15cc058176")
	if strings.Contains(got, "dd15cc058176") || !strings.Contains(got, "link-sandbox-af1a0311") {
		t.Fatalf("redact = %q", got)
	}
}

// recorder captures Skip/Fatal without ending the real test.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(f string, a ...any) {
	r.skipped = fmt.Sprintf(f, a...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(f string, a ...any) {
	r.fatal = fmt.Sprintf(f, a...)
	runtime.Goexit()
}

func runNew(r *recorder) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		New(r)
	}()
	<-done
}

func TestMissingBrowser(t *testing.T) {
	t.Setenv(EnvPath, filepath.Join(t.TempDir(), "no-chromium"))

	t.Setenv("CI", "")
	r := &recorder{TB: t}
	runNew(r)
	if r.skipped == "" || r.fatal != "" || !strings.Contains(r.skipped, EnvPath) {
		t.Fatalf("locally: want a skip naming %s, got skip %q fatal %q", EnvPath, r.skipped, r.fatal)
	}

	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	runNew(r)
	if r.fatal == "" || r.skipped != "" || !strings.Contains(r.fatal, "CI") {
		t.Fatalf("under CI: want a failure, got skip %q fatal %q", r.skipped, r.fatal)
	}
}

func chromedpWidth(ctx context.Context) (int, error) {
	return runInt(ctx, `window.innerWidth`)
}
