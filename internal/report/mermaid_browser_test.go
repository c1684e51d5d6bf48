package report

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/bankdown/linkrecovery/internal/browser"
	"github.com/bankdown/linkrecovery/internal/testkit/ci"
)

// Mermaid comes from npm, pinned by testdata/mermaid/package-lock.json; .ci/run installs it.
const (
	mermaidDir     = "testdata/mermaid"
	mermaidVersion = "12.3.0"
	mermaidInstall = "npm ci --prefix internal/report/testdata/mermaid --no-audit --no-fund --ignore-scripts (or bash .ci/run)"
)

// mermaidBundle returns the path of Mermaid's browser bundle. Without it the test is skipped,
// naming the install command, except under CI, which installs it: there a missing one fails.
func mermaidBundle(t *testing.T) string {
	t.Helper()
	p := filepath.Join(mermaidDir, "node_modules", "mermaid", "dist", "mermaid.min.js")
	missing := func(why string) { ci.Missing(t, why, mermaidInstall) }
	if _, err := os.Stat(p); err != nil {
		missing("Mermaid is not installed (" + p + ")")
	}
	var pkg struct{ Version string }
	b, err := os.ReadFile(filepath.Join(mermaidDir, "node_modules", "mermaid", "package.json"))
	if err == nil {
		err = json.Unmarshal(b, &pkg)
	}
	if err != nil || pkg.Version != mermaidVersion {
		missing(fmt.Sprintf("Mermaid %s is installed (%v), not the pinned %s", pkg.Version, err, mermaidVersion))
	}
	return p
}

// drawn is what Mermaid drew: the SVG's kind, its texts and the element names it holds.
type drawn struct {
	Error    string   `json:"error"`
	Role     string   `json:"role"`
	Actors   []string `json:"actors"`
	Messages []string `json:"messages"`
	Notes    []string `json:"notes"`
	Elements []string `json:"elements"`
}

// renderJS renders the diagram in #src with Mermaid, strict security as GitHub uses, and reports
// what it drew.
const renderJS = `(async () => {
  const src = JSON.parse(document.getElementById('src').textContent);
  mermaid.initialize({startOnLoad: false, securityLevel: 'strict'});
  try {
    const {svg} = await mermaid.render('report-diagram', src);
    document.getElementById('out').innerHTML = svg;
  } catch (e) {
    return {error: String((e && e.message) || e)};
  }
  const s = document.querySelector('#out svg');
  const texts = sel => [...s.querySelectorAll(sel)].map(e => e.textContent.trim());
  return {
    role: s.getAttribute('aria-roledescription') || '',
    actors: [...new Set(texts('text.actor'))],
    messages: texts('text.messageText'),
    notes: texts('text.noteText'),
    elements: [...new Set([...s.querySelectorAll('*')].map(e => e.tagName.toLowerCase()))],
  };
})()`

// draw serves a page on 127.0.0.1 that loads Mermaid and renders diagram in the real browser.
func draw(t *testing.T, ctx context.Context, bundle, diagram string) drawn {
	t.Helper()
	src, err := json.Marshal(diagram) // escapes <, > and &: the diagram cannot close the script
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /mermaid.min.js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, bundle) })
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>report diagram</title>
<script src="/mermaid.min.js"></script></head><body><script type="application/json" id="src">%s</script><div id="out"></div></body></html>`, src)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	if err := browser.Navigate(ctx, ts.URL+"/"); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, browser.StepTimeout)
	defer cancel()
	got, err := chromedp.Run(rctx, chromedp.Evaluate[drawn](renderJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("rendering the diagram: %v", err)
	}
	if got.Error != "" {
		t.Fatalf("Mermaid refused the diagram: %s\n%s", got.Error, diagram)
	}
	return got
}

// labelRE is a message or note line of the diagram and its label.
var labelRE = regexp.MustCompile(`^    (Note over [A-Za-z,]+|[A-Za-z]+(?:->>|-->>|--x|-x)[A-Za-z]+): (.*)$`)

// shown is what each message and note of a diagram should read once drawn: its label with the
// entity codes turned back into characters.
func shown(diagram string) (messages, notes []string) {
	for _, l := range strings.Split(diagram, "\n") {
		m := labelRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		text := strings.TrimSpace(decodeEntities(m[2]))
		if strings.HasPrefix(m[1], "Note") {
			notes = append(notes, text)
		} else {
			messages = append(messages, text)
		}
	}
	return messages, notes
}

// allowedElements are what a sequence diagram is drawn with; anything else (a link, a script,
// HTML in a foreignObject, an image) came from the text.
var allowedElements = []string{"svg", "g", "rect", "text", "tspan", "line", "path", "defs", "marker",
	"style", "polygon", "symbol", "title", "desc", "circle", "use", "filter", "fedropshadow"}

// TestMermaidDrawsTheReportsDiagram renders the report's mermaid block in Chromium with Mermaid
// from npm, for a demo sign-up run with the recovery, a sandbox session run and a run full of
// hostile text, and checks that it drew a sequence diagram with every message and note as the
// report wrote it.
func TestMermaidDrawsTheReportsDiagram(t *testing.T) {
	bundle := mermaidBundle(t)
	ctx := browser.New(t)
	browser.ScreenshotOnFailure(t, ctx)
	plaidLink := "link-sandbox-40cd…5e6f"
	for _, tc := range []struct {
		name     string
		run      Run
		actors   []string
		messages []string // among what was drawn
		notes    []string
	}{
		{"demo signup", demoSignup(),
			[]string{"linkrecovery", "Plaid Sandbox emulator", "Person in Hosted Link", "Webhook receiver"},
			[]string{"POST /link/token/create", "200 · link token " + plaidLink + " · 84 ms", "page down · INSTITUTION_DOWN: notify me when it is back",
				"LINK SESSION_FINISHED · EXITED · 0 public tokens · verified", "POST /emulator/institutions/restore",
				"recovery e-mail to example@plaid.com · Tartan Bank is back: finish connecting your account to linkrecovery",
				"LINK SESSION_FINISHED · SUCCESS · 1 public token · verified", "POST /item/public_token/exchange"},
			[]string{"recovery session finished: its SESSION_FINISHED came to the webhook of the ORIGINAL link token " + plaidLink,
				"passed · public token via webhook"}},
		{"sandbox session", sandboxSession(),
			[]string{"linkrecovery", "Plaid Sandbox", "Person in Hosted Link", "Webhook receiver"},
			[]string{"POST /link/token/create", "POST /link/token/get ×2", "429 · RATE_LIMIT · 90 ms",
				"webhook · REFUSED: no Plaid-Verification header", "LINK SESSION_FINISHED · SUCCESS · 1 public token · verified"},
			[]string{"for link token " + plaidLink, "passed · public token via webhook"}},
		{"hostile", hostileRun(), nil, nil, nil},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			src := mermaidBlock(t, Markdown(tc.run)) // the block as a Markdown viewer hands it to Mermaid
			got := draw(t, ctx, bundle, src)
			if dir := os.Getenv("E2E_SCREENSHOTS"); dir != "" { // for a person to look at, not asserted
				if err := browser.Screenshot(ctx, filepath.Join(dir, "report-"+t.Name()[strings.LastIndex(t.Name(), "/")+1:]+".png")); err != nil {
					t.Logf("screenshot: %v", err)
				}
			}
			if got.Role != "sequence" {
				t.Fatalf("Mermaid drew %q, not a sequence diagram", got.Role)
			}
			for _, a := range tc.actors {
				if !slices.Contains(got.Actors, a) {
					t.Errorf("participant %q not drawn; drew %q", a, got.Actors)
				}
			}
			wantMsgs, wantNotes := shown(src)
			if !slices.Equal(got.Messages, wantMsgs) {
				t.Errorf("messages drawn differ from the diagram's:\n got %q\nwant %q", got.Messages, wantMsgs)
			}
			if !slices.Equal(got.Notes, wantNotes) {
				t.Errorf("notes drawn differ from the diagram's:\n got %q\nwant %q", got.Notes, wantNotes)
			}
			for _, m := range tc.messages {
				if !slices.Contains(got.Messages, m) {
					t.Errorf("message %q not drawn", m)
				}
			}
			for _, n := range tc.notes {
				if !slices.Contains(got.Notes, n) {
					t.Errorf("note %q not drawn; drew %q", n, got.Notes)
				}
			}
			for _, e := range got.Elements {
				if !slices.Contains(allowedElements, e) {
					t.Errorf("the drawing holds a <%s> element", e)
				}
			}
		})
	}
}
