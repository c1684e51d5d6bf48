package emulator

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/internal/testkit/rawcontrol"
)

// consoleAttacks are what issue 15 sent to a terminal through the emulator's log: an OSC 52 that
// fills the clipboard, a retitle, a carriage return that wipes the line, a newline that starts a
// forged record, the 8-bit CSI (as a rune and as a raw byte) and bidi overrides.
var consoleAttacks = []string{
	"x\x1b]52;c;Y3VybA==\x07",
	"\x1b]2;PWNED\x07",
	"\r\x1b[2K",
	"ok\n12:00:00 webhook SESSION_FINISHED delivered (verified)",
	"a\u009b2Jb",
	"a\x9b2Jb\xff",
	"https://e.example/\u202egnp.exe",
	"plain",
}

// hostileRequests feeds s to the emulator everywhere a request's text reaches its log: the method,
// the path and query of an API call, a Hosted Link page and its form fields, a fault's path.
func hostileRequests(e *Emulator, s string) {
	serve := func(r *http.Request) { e.ServeHTTP(httptest.NewRecorder(), r) }
	r := httptest.NewRequest(http.MethodPost, "/link/token/create", nil)
	r.URL.Path, r.URL.RawQuery = "/"+s, s
	serve(r)
	r = httptest.NewRequest(http.MethodGet, "/item/get", nil)
	r.Method = s
	serve(r)
	form := url.Values{"step": {s}, "action": {s}, "username": {s}}
	r = httptest.NewRequest(http.MethodPost, "/hosted-link/x", strings.NewReader(form.Encode()))
	r.URL.Path = "/hosted-link/" + s
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	serve(r)
	e.InjectFault(Fault{Path: s})
}

// assertInertRecords fails on a record that holds a raw control byte, invalid UTF-8 or a bidi mark,
// or that spans more than one line.
func assertInertRecords(t *testing.T, recs []string) {
	t.Helper()
	for _, rec := range recs {
		if p := rawcontrol.Problem(rec); p != "" {
			t.Fatalf("log record %s (a record is one inert line): %q", p, rec)
		}
	}
}

// TestLogIsInert: every attack of issue 15 reaches the log only as visible escapes, one record per
// line, and the attack is still readable there.
func TestLogIsInert(t *testing.T) {
	logs := &logSink{}
	e, err := New(Config{Logf: logs.logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	for _, s := range consoleAttacks {
		hostileRequests(e, s)
		recs := logs.take()
		if len(recs) < 3 {
			t.Fatalf("%q produced only %d log records: %q", s, len(recs), recs)
		}
		assertInertRecords(t, recs)
	}
	hostileRequests(e, "\x1b]52;c;Y3VybA==\x07")
	if all := strings.Join(logs.take(), "\n"); !strings.Contains(all, `\x1b]52;c;Y3VybA==\x07`) {
		t.Errorf("the escaped attack is not visible in the log:\n%s", all)
	}
}

// FuzzLogIsInert fuzzes the sanitiser through the emulator's logger: whatever a request holds, no
// raw control byte reaches Config.Logf and every record stays one line.
func FuzzLogIsInert(f *testing.F) {
	for _, s := range consoleAttacks {
		f.Add(s)
	}
	logs := &logSink{}
	e, err := New(Config{Logf: logs.logf})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = e.Close() })
	f.Fuzz(func(t *testing.T, s string) {
		hostileRequests(e, s)
		assertInertRecords(t, logs.take())
	})
}
