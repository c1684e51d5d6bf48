package audit_test

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/emulator/audit"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/internal/auditfixture"
)

// fixture is a developer's handler with its faults switched on one by one (internal/auditfixture).
type fixture = auditfixture.Fixture

var correct = auditfixture.Correct

func allVerdicts(v audit.Verdict) map[string]audit.Verdict {
	m := map[string]audit.Verdict{}
	for _, id := range audit.CaseIDs() {
		m[id] = v
	}
	return m
}

func with(base map[string]audit.Verdict, over map[string]audit.Verdict) map[string]audit.Verdict {
	m := maps.Clone(base)
	maps.Copy(m, over)
	return m
}

func run(t *testing.T, f fixture, cfg audit.Config) audit.Result {
	t.Helper()
	emu := emulatortest.New(t)
	target := httptest.NewServer(nil)
	t.Cleanup(target.Close)
	target.Config.Handler = f.Handler(t, emu.Client)
	cfg.Target, cfg.Emulator = target.URL, emu.Emulator
	res, err := audit.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func verdicts(res audit.Result) map[string]audit.Verdict {
	m := map[string]audit.Verdict{}
	for _, c := range res.Cases {
		m[c.ID] = c.Verdict
	}
	return m
}

func reasons(res audit.Result) string {
	var b strings.Builder
	for _, c := range res.Cases {
		b.WriteString("\n  " + c.ID + ": " + string(c.Verdict) + ": " + c.Reason)
	}
	return b.String()
}

func caseOf(res audit.Result, id string) audit.CaseResult {
	for _, c := range res.Cases {
		if c.ID == id {
			return c
		}
	}
	return audit.CaseResult{}
}

// TestFixtures (issue 17's "Done when"): each handler gets exactly the verdicts it deserves.
func TestFixtures(t *testing.T) {
	forged := []string{audit.NoSignature, audit.AlgNone, audit.AlgHS256, audit.UnknownKey, audit.WrongKey,
		audit.TamperedBody, audit.Stale, audit.ExpiredKey}
	forgedFail := map[string]audit.Verdict{}
	for _, id := range forged {
		forgedFail[id] = audit.Fail
	}
	pass := allVerdicts(audit.Pass)
	tests := []struct {
		name    string
		f       fixture
		timeout time.Duration
		want    map[string]audit.Verdict
		check   func(t *testing.T, res audit.Result)
	}{
		{name: "correct", f: correct, want: pass},
		{name: "verifies nothing", f: fixture{Dedupe: true}, want: with(pass, forgedFail)},
		{name: "hashes re-serialised JSON", f: fixture{Verify: true, Reserialise: true, Dedupe: true},
			want: with(pass, map[string]audit.Verdict{audit.Genuine: audit.Fail, audit.MultipleTokens: audit.Fail,
				audit.Duplicate: audit.Warn, audit.StillWorks: audit.Fail}),
			check: func(t *testing.T, res audit.Result) {
				if r := caseOf(res, audit.Genuine).Reason; !strings.Contains(r, "hashes re-serialised JSON instead of the raw body bytes") {
					t.Errorf("genuine reason %q does not diagnose re-serialised hashing", r)
				}
			}},
		{name: "exchanges on every delivery", f: fixture{Verify: true},
			want: with(pass, map[string]audit.Verdict{audit.Duplicate: audit.Fail}),
			check: func(t *testing.T, res audit.Result) {
				if c := caseOf(res, audit.Duplicate); len(c.Exchanged) != 2 {
					t.Errorf("duplicate exchanged %v, want two attempts of one token", c.Exchanged)
				}
			}},
		{name: "500 to EXITED", f: fixture{Verify: true, Dedupe: true, Fail500: true},
			want: with(pass, map[string]audit.Verdict{audit.Exited: audit.Fail}),
			check: func(t *testing.T, res audit.Result) {
				if c := caseOf(res, audit.Exited); c.Status != 500 {
					t.Errorf("exited status %d, want 500", c.Status)
				}
			}},
		{name: "answers after the timeout", f: fixture{Hang: true}, timeout: 50 * time.Millisecond,
			// A handler that never answers cannot act on a forgery either: the forged cases fail
			// only because no answer came in time.
			want: allVerdicts(audit.Fail),
			check: func(t *testing.T, res audit.Result) {
				if r := caseOf(res, audit.Genuine).Reason; !strings.Contains(r, "no answer within 50ms") {
					t.Errorf("genuine reason %q, want the timeout named", r)
				}
			}},
		{name: "exchanges only the first token", f: fixture{Verify: true, Dedupe: true, FirstOnly: true},
			want: with(pass, map[string]audit.Verdict{audit.MultipleTokens: audit.Fail})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var live []string
			res := run(t, tt.f, audit.Config{Timeout: tt.timeout, OnCase: func(c audit.CaseResult) { live = append(live, c.ID) }})
			if got := verdicts(res); !maps.Equal(got, tt.want) {
				t.Errorf("verdicts:%s\nwant %v", reasons(res), tt.want)
			}
			if len(live) != len(audit.CaseIDs()) {
				t.Errorf("OnCase saw %v", live)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}

// TestOnly runs a subset, and refuses an unknown id naming the valid ones.
func TestOnly(t *testing.T) {
	res := run(t, correct, audit.Config{Only: []string{audit.WrongKey, audit.Genuine}})
	if len(res.Cases) != 2 || res.Cases[0].ID != audit.Genuine || res.Cases[1].ID != audit.WrongKey || res.Passed != 2 {
		t.Errorf("Only genuine,wrong_key ran%s", reasons(res))
	}
	if c := res.Cases[0]; len(c.Exchanged) != 1 || c.Sent.Header.Get("Plaid-Verification") == "" || !strings.Contains(c.Fix, audit.DocsURL) {
		t.Errorf("genuine evidence: %+v", c)
	}
	emu := emulatortest.New(t)
	_, err := audit.Run(context.Background(), audit.Config{Target: "http://127.0.0.1:1", Emulator: emu.Emulator, Only: []string{"genuin"}})
	if err == nil || !strings.Contains(err.Error(), "genuin") || !strings.Contains(err.Error(), "expired_key") {
		t.Errorf("unknown case: %v", err)
	}
}

// TestUnreachedTarget: a case whose webhook found nothing listening fails, and says the handler was
// never reached and to start the app, not to fix its JWT checks.
func TestUnreachedTarget(t *testing.T) {
	emu := emulatortest.New(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	res, err := audit.Run(context.Background(), audit.Config{Target: dead.URL, Emulator: emu.Emulator, Only: []string{audit.Genuine, audit.NoSignature}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		if c.Verdict != audit.Fail || !strings.Contains(c.Why, "never reached") || !strings.Contains(c.Fix, "Start your app") || !strings.Contains(c.Fix, dead.URL) {
			t.Errorf("%s: %s %q why %q fix %q", c.ID, c.Verdict, c.Reason, c.Why, c.Fix)
		}
	}
}

// BenchmarkAuditLocalHandler is the whole audit of a correct local handler (issue 17: under 20 s).
func BenchmarkAuditLocalHandler(b *testing.B) {
	emu := emulatortest.New(b)
	target := httptest.NewServer(correct.Handler(b, emu.Client))
	defer target.Close()
	for b.Loop() {
		res, err := audit.Run(context.Background(), audit.Config{Target: target.URL, Emulator: emu.Emulator})
		if err != nil || res.Failed > 0 {
			b.Fatalf("audit: %v, %d failed", err, res.Failed)
		}
	}
}

// TestRemote: an emulator served by another process, reached over its HTTP hooks, grades as the
// in-process one does; wrong keys stop the audit instead of reading as "nothing exchanged".
func TestRemote(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    fixture
		fail []string
	}{
		{"correct", correct, nil},
		{"verifies nothing", fixture{Dedupe: true}, []string{audit.NoSignature, audit.AlgNone, audit.AlgHS256,
			audit.UnknownKey, audit.WrongKey, audit.TamperedBody, audit.Stale, audit.ExpiredKey}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			emu := emulatortest.New(t)
			target := httptest.NewServer(tt.f.Handler(t, emu.Client))
			t.Cleanup(target.Close)
			remote := audit.NewRemote(emu.URL, emu.Emulator.ClientID(), emu.Emulator.Secret(), nil)
			if err := remote.Check(context.Background()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			res, err := audit.Run(context.Background(), audit.Config{Target: target.URL, Emulator: remote})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			want := allVerdicts(audit.Pass)
			for _, id := range tt.fail {
				want[id] = audit.Fail
			}
			if got := verdicts(res); !maps.Equal(got, want) {
				t.Errorf("verdicts:%s\nwant %v", reasons(res), want)
			}
		})
	}
	emu := emulatortest.New(t)
	bad := audit.NewRemote(emu.URL, emu.Emulator.ClientID(), "not-the-secret", nil)
	if err := bad.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "INVALID_API_KEYS") {
		t.Errorf("Check with a wrong secret: %v, want INVALID_API_KEYS", err)
	}
}

// TestWaitForTarget: a target nobody listens at is down (ErrTargetDown, naming it and the cause)
// once the wait is over; one that answers, or only takes the connection, is up.
func TestWaitForTarget(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/hook"
	ln.Close()
	err = audit.WaitForTarget(ctx, nil, dead, 300*time.Millisecond)
	if !errors.Is(err, audit.ErrTargetDown) || !strings.Contains(err.Error(), dead) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("a dead target: %v, want ErrTargetDown naming %s and the refusal", err, dead)
	}

	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusMethodNotAllowed) }))
	defer up.Close()
	if err := audit.WaitForTarget(ctx, nil, up.URL, time.Minute); err != nil {
		t.Errorf("a target answering 405 to GET: %v, want up", err)
	}

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // takes the connection, never answers
		}
	}()
	if err := audit.WaitForTarget(ctx, nil, "http://"+silent.Addr().String()+"/hook", time.Minute); err != nil {
		t.Errorf("a target that takes the connection but does not answer: %v, want up (the cases judge its speed)", err)
	}
}
