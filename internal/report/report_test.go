package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/internal/secret"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/")

// golden compares got with testdata/name, or rewrites it with -update. The goldens are .md files,
// so a reviewer can open them on GitHub and see the report as a reader would.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			g, w := line(gl, i), line(wl, i)
			if g != w {
				t.Fatalf("%s differs first at line %d:\n got: %q\nwant: %q\n(go test ./internal/report -update rewrites it)", p, i+1, g, w)
			}
		}
	}
}

func line(ls []string, i int) string {
	if i < len(ls) {
		return ls[i]
	}
	return "<end>"
}

func TestGoldenDemoSignupWithRecovery(t *testing.T) {
	golden(t, "demo-signup.md", Markdown(demoSignup()))
}

func TestGoldenSandboxSession(t *testing.T) {
	golden(t, "sandbox-session.md", Markdown(sandboxSession()))
}

// TestNoSecretOrFullToken checks the masking against the keys and tokens the fixtures carry in
// full (registered ones, and link/public tokens and ids the registry was never told about), in
// bodies, error texts, notes and fields alike.
func TestNoSecretOrFullToken(t *testing.T) {
	for name, r := range map[string]Run{"demo": demoSignup(), "sandbox": sandboxSession(), "hostile": hostileRun()} {
		out := string(Markdown(r))
		for _, full := range fixFull {
			if strings.Contains(out, full) {
				t.Errorf("%s report holds %q in full", name, full)
			}
			// Nor in the pieces a cut or an escape could leave: the middle of the secret part
			// (what follows the token's kind, or a URL's last segment), which no mask shows.
			part := full[len(tokenPrefixRE.FindString(full)):]
			part = part[strings.LastIndex(part, "/")+1:]
			if mid := part[len(part)/2-4 : len(part)/2+4]; strings.Contains(out, mid) {
				t.Errorf("%s report holds the middle %q of %q", name, mid, full)
			}
		}
	}
	out := string(Markdown(sandboxSession()))
	for _, want := range []string{secret.Mask(fixSecret), secret.Mask(fixNgrok), secret.Mask(fixAccess),
		secret.Mask(fixPublic), secret.Mask(fixLinkToken), secret.Mask(fixItemID)} {
		if !strings.Contains(out, want) {
			t.Errorf("sandbox report lacks the masked %q: masking should show a value as secret.Mask does", want)
		}
	}
}

func TestMaskTokenIsIdempotent(t *testing.T) {
	for _, s := range []string{fixLinkToken, fixAccess, fixPublic, fixItemID, "short", "link-sandbox-short"} {
		once := maskToken(s)
		if twice := maskToken(once); twice != once {
			t.Errorf("maskToken(maskToken(%q)) = %q, want %q", s, twice, once)
		}
		if once != secret.Mask(s) {
			t.Errorf("maskToken(%q) = %q, want secret.Mask's %q", s, once, secret.Mask(s))
		}
	}
	// The adapter may hand a token in full or masked: the report shows the same either way.
	a, b := demoSignup(), demoSignup()
	b.LinkToken = secret.Mask(b.LinkToken)
	if !bytes.Equal(Markdown(a), Markdown(b)) {
		t.Error("a masked LinkToken renders differently from a full one")
	}
}

func TestRecoveryNoteNamesTheOriginalToken(t *testing.T) {
	d := Diagram(demoSignup())
	want := "Note over Hook: recovery session finished#58; its SESSION_FINISHED came to the webhook of the ORIGINAL link token " + secret.Mask(fixLinkToken)
	if !strings.Contains(d, want) {
		t.Fatalf("diagram lacks the recovery note %q:\n%s", want, d)
	}
	if strings.Count(d, "ORIGINAL") != 1 {
		t.Errorf("only the recovery session's SESSION_FINISHED is the recovery; diagram:\n%s", d)
	}
	// A recovery SESSION_FINISHED naming another token says so.
	r := demoSignup()
	for i, e := range r.Events {
		if w, ok := e.(Webhook); ok && w.LinkSessionID == "lnks-recovery-2" {
			w.LinkToken = fixOtherToken
			r.Events[i] = w
		}
	}
	d = Diagram(r)
	if !strings.Contains(d, "but for link token "+secret.Mask(fixOtherToken)+", not the original "+secret.Mask(fixLinkToken)) || strings.Contains(d, "ORIGINAL") {
		t.Errorf("a recovery SESSION_FINISHED for another token is not called out:\n%s", d)
	}
	// Without a recovery e-mail no SESSION_FINISHED is the recovery's.
	if d := Diagram(sandboxSession()); strings.Contains(d, "recovery session") {
		t.Errorf("a session run has no recovery, but the diagram says so:\n%s", d)
	}
}

func TestVerdicts(t *testing.T) {
	r := sandboxSession()
	r.Verdict = &Verdict{Passed: false, Via: "polling", Reason: "the session finished, but no verified SESSION_FINISHED webhook arrived"}
	r.Add(Fallback{At: at(80000), Reason: "no SESSION_FINISHED in 3m0s"})
	out := string(Markdown(r))
	for _, want := range []string{
		"- **Verdict:** ❌ failed: the public token came by polling `/link/token/get`, not by the webhook\n",
		"- **Reason:** the session finished, but no verified SESSION_FINISHED webhook arrived\n",
		"    Note over App,Plaid: no verified SESSION_FINISHED#58; following the session by polling · no SESSION_FINISHED in 3m0s\n",
		"    Note over App: failed · public token via polling · the session finished",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("failed report lacks %q", want)
		}
	}
	r.Verdict = nil
	if out := string(Markdown(r)); !strings.Contains(out, "- **Verdict:** ⏳ not finished\n") {
		t.Error("a run without a verdict does not say it has not finished")
	}
}

// A verdict claims a public token only when an Item came: a pass gives the scenario's own reason
// (Leave Link passes on none), and a failure with no Item says how the session's end was learnt.
func TestVerdictClaimsATokenOnlyWithAnItem(t *testing.T) {
	for _, tc := range []struct {
		name    string
		verdict Verdict
		want    []string
	}{
		{"passed, left Link", Verdict{Passed: true, Via: "webhook", Reason: "a verified SESSION_FINISHED webhook said the person left Link (EXITED), and nothing was exchanged"},
			[]string{"- **Verdict:** ✅ passed: a verified SESSION_FINISHED webhook said the person left Link (EXITED), and nothing was exchanged\n",
				"    Note over App: passed · a verified SESSION_FINISHED webhook said the person left Link (EXITED), and nothing was exchanged\n"}},
		{"failed, no Item", Verdict{Passed: false, Via: "polling", Reason: "the session finished, but no verified SESSION_FINISHED webhook arrived"},
			[]string{"- **Verdict:** ❌ failed: the session's end came by polling `/link/token/get`, not by the webhook\n",
				"    Note over App: failed · session's end via polling · the session finished"}},
	} {
		r := sandboxSession()
		r.Item, r.Verdict = nil, &tc.verdict
		out := string(Markdown(r))
		for _, want := range tc.want {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the report lacks %q:\n%s", tc.name, want, out)
			}
		}
		if strings.Contains(out, "public token via") || strings.Contains(out, "public token came") {
			t.Errorf("%s: the report claims a public token with no Item:\n%s", tc.name, out)
		}
	}
}

func TestConsecutiveCallsAreOneArrow(t *testing.T) {
	var r Run
	for i := range 40 {
		r.Add(Call{At: at(i * 250), Method: "POST", Endpoint: "/link/token/get", Status: 200, Response: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	r.Add(Webhook{At: at(10001), Type: "LINK", Code: "EVENTS", Verified: true})
	r.Add(Call{At: at(10002), Method: "POST", Endpoint: "/link/token/get", Status: 200})
	d := Diagram(r)
	if strings.Count(d, "App->>Plaid: POST /link/token/get ×40\n") != 1 || strings.Count(d, "App->>Plaid: POST /link/token/get\n") != 1 {
		t.Errorf("40 polls in a row should be one arrow, the poll after the webhook another:\n%s", d)
	}
	out := string(Markdown(r))
	if !strings.Contains(out, "the last of 40 alike since 22:46:39") || !strings.Contains(out, `"n": 39`) || strings.Contains(out, `"n": 38`) {
		t.Errorf("the bodies of 40 polls in a row should be the last one's:\n%s", out)
	}
}

// TestBounded: a flooded run keeps a bounded model and a diagram Mermaid accepts (its
// maxTextSize is 50,000 characters), and says what it left out.
func TestBounded(t *testing.T) {
	var r Run
	huge := []byte(`{"x":"` + strings.Repeat("a", 2*MaxBody) + `"}`)
	hostile := strings.Repeat("<;#%`", 200)
	for i := range MaxEvents + 10 {
		r.Add(Webhook{At: at(i), Type: hostile, Code: hostile, Status: hostile, Reason: hostile, Body: huge})
	}
	if len(r.Events) != MaxEvents || r.Dropped != 10 {
		t.Fatalf("Add kept %d events and dropped %d, want %d and 10", len(r.Events), r.Dropped, MaxEvents)
	}
	if w := r.Events[0].(Webhook); len(w.Body) != MaxBody || w.cut != len(huge)-MaxBody {
		t.Fatalf("Add kept %d bytes of the body (cut %d), want %d", len(w.Body), w.cut, MaxBody)
	}
	d := Diagram(r)
	if len(d) > 50000 {
		t.Errorf("diagram is %d bytes, over Mermaid's 50,000", len(d))
	}
	if !strings.Contains(d, "more events not drawn") {
		t.Error("the diagram does not say it left events out")
	}
	out := string(Markdown(r))
	for _, want := range []string{"more calls and webhooks are not shown", "10 later events are not in this report",
		fmt.Sprintf("… (%d more bytes not shown)", len(huge)-maxShownBody)} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if len(out) > 2<<20 {
		t.Errorf("report of a flooded run is %d bytes", len(out))
	}
}

func TestAddCopiesBodies(t *testing.T) {
	var r Run
	buf := []byte(`{"a":1}`)
	r.Add(Call{Request: buf})
	copy(buf, `{"b":2}`)
	if got := string(r.Events[0].(Call).Request); got != `{"a":1}` {
		t.Errorf("Add kept the caller's buffer: %s", got)
	}
}

func TestFileNameSaysWhen(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	if got := FileName(time.Date(2026, 12, 1, 22, 46, 39, 0, loc)); got != "linkrecovery-report-20261201-224639.md" {
		t.Errorf("FileName = %q", got)
	}
}

func TestWriteIsPrivate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.md")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, demoSignup()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if fi.Mode().Perm() != 0o600 || !bytes.Equal(b, Markdown(demoSignup())) {
		t.Errorf("report written mode %v, %d bytes; want 0600 and the report", fi.Mode().Perm(), len(b))
	}
	link := filepath.Join(dir, "link.md")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), link); err == nil {
		if err := Write(link, demoSignup()); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("Write through a symlink: %v, want a refusal", err)
		}
	}
	if err := Write("", demoSignup()); err == nil {
		t.Error("Write with no name succeeded")
	}
}

func TestSavePicksAFreeName(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 1, 22, 46, 39, 0, time.UTC)
	var got []string
	for range 3 {
		p, err := Save(dir, demoSignup(), now)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, filepath.Base(p))
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("Save wrote %s: %v, mode %v", p, err, fi.Mode())
		}
	}
	want := []string{"linkrecovery-report-20261201-224639.md", "linkrecovery-report-20261201-224639-2.md", "linkrecovery-report-20261201-224639-3.md"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Save names = %v, want %v", got, want)
	}
	if _, err := Save(filepath.Join(dir, "missing"), demoSignup(), now); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Save into a missing directory: %v, want an error naming it", err)
	}
}
