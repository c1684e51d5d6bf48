package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/audit"
	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/internal/auditfixture"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// auditKeys are the keys the audit's emulator takes from the environment in these tests.
var auditKeys = map[string]string{"PLAID_CLIENT_ID": "auditclient00001", "PLAID_SECRET": "auditsecret0123456789abcdefXYZ"}

func auditEnv(k string) string { return auditKeys[k] }

// TestAuditFlagErrors: a mistake on the command line exits 2 before anything starts, in one line
// naming the flag (and the valid cases, for --only), then the pointer at --help.
func TestAuditFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no target", nil, []string{"--target is required"}},
		{"target not a URL", []string{"--target", "localhost:3000"}, []string{"--target must be an http or https URL"}},
		{"unknown case", []string{"--target", "http://127.0.0.1:9/", "--only", "genuine,alg_nope"},
			[]string{`--only: no case "alg_nope"`, strings.Join(audit.CaseIDs(), ", ")}},
		{"zero timeout", []string{"--target", "http://127.0.0.1:9/", "--timeout", "0s"}, []string{"--timeout must be longer than zero"}},
		{"bad wait", []string{"--target", "http://127.0.0.1:9/", "--wait", "soon"}, []string{"--wait", `"soon" is not a duration`}},
		{"emulator and keys file", []string{"--target", "http://127.0.0.1:9/", "--emulator", "http://127.0.0.1:8790", "--keys-file", "k.env"},
			[]string{"--emulator uses a running emulator", "--keys-file"}},
		{"emulator not a URL", []string{"--target", "http://127.0.0.1:9/", "--emulator", "8790"}, []string{"--emulator must be the base URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"audit"}, tt.args...)...)
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if code != 2 || len(lines) != 2 || lines[1] != "Run 'linkrecovery audit --help' for usage." {
				t.Fatalf("exit %d, stderr %q; want 2 and one line of error then the --help pointer", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("error %q does not contain %q", lines[0], w)
				}
			}
			if stdout != "" {
				t.Errorf("a flag error printed on stdout: %q", stdout)
			}
		})
	}
}

// TestAuditOnlyParsed: --only is split, trimmed and deduplicated (the runF seam: nothing starts).
func TestAuditOnlyParsed(t *testing.T) {
	var got auditOptions
	cmd := newAuditCmd(&process{getenv: noEnv}, func(o *auditOptions) error { got = *o; return nil })
	cmd.SetArgs([]string{"--target", "http://127.0.0.1:9/", "--only", "alg_none, genuine,alg_none"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.cases, ",") != "alg_none,genuine" || got.timeout != audit.DefaultTimeout || got.emulatorAddr != "127.0.0.1:0" {
		t.Errorf("parsed %+v", got)
	}
}

// keysFileClient is a Plaid client built from a --keys-file at the first call, as an app reads its
// .env: the handler starts before the audit's emulator exists.
func keysFileClient(t *testing.T, path string) func() *plaid.APIClient {
	var once sync.Once
	var client *plaid.APIClient
	return func() *plaid.APIClient {
		once.Do(func() {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("the handler cannot read the keys file: %v", err)
				return
			}
			kv := map[string]string{}
			for _, line := range strings.Split(string(b), "\n") {
				if k, v, ok := strings.Cut(line, "="); ok {
					kv[k] = v
				}
			}
			client = emulatortest.NewClient(t, kv["PLAID_BASE_URL"], kv["PLAID_CLIENT_ID"], kv["PLAID_SECRET"])
		})
		return client
	}
}

// runAuditAgainst runs `linkrecovery audit --target (f's handler) --keys-file ... ARGS` in this
// process and returns the exit code, stdout, stderr and the keys file's path.
func runAuditAgainst(t *testing.T, f auditfixture.Fixture, args ...string) (code int, stdout, stderr, keys string) {
	t.Helper()
	keys = filepath.Join(t.TempDir(), "audit.env")
	target := httptest.NewServer(f.HandlerFor(t, keysFileClient(t, keys)))
	t.Cleanup(target.Close)
	var out, errOut bytes.Buffer
	args = append([]string{"audit", "--target", target.URL + "/plaid/webhook", "--keys-file", keys}, args...)
	code = testkit.Returns(t, "linkrecovery audit", func() int {
		return run(context.Background(), args, auditEnv, &out, &errOut)
	})
	return code, out.String(), errOut.String(), keys
}

// TestAuditCorrectHandler: a handler that verifies and exchanges each token once passes every
// case: exit 0, a ready record with the emulator's base URL and the keys (the secret masked), one
// case record per case, and a done record with the counts. The keys file is the owner's only.
func TestAuditCorrectHandler(t *testing.T) {
	code, stdout, stderr, keys := runAuditAgainst(t, auditfixture.Correct, "--json")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr %q\nstdout:\n%s", code, stderr, stdout)
	}
	recs := records(t, stdout)
	ids := audit.CaseIDs()
	if len(recs) != len(ids)+2 {
		t.Fatalf("%d records, want ready, %d cases and done:\n%s", len(recs), len(ids), stdout)
	}
	ready, done := recs[0], recs[len(recs)-1]
	if ready["event"] != "ready" || !strings.HasPrefix(ready["plaid_url"].(string), "http://127.0.0.1:") ||
		ready["client_id"] != auditKeys["PLAID_CLIENT_ID"] || ready["secret_masked"] == "" {
		t.Errorf("ready record %v", ready)
	}
	for i, id := range ids {
		c := recs[i+1]
		if c["event"] != "case" || c["case"] != id || c["verdict"] != "pass" || c["status"] != float64(200) || c["reason"] == "" {
			t.Errorf("record %d: %v, want case %s passed", i+1, c, id)
		}
		if _, ok := c["latency_ms"].(float64); !ok {
			t.Errorf("case %s has no latency_ms: %v", id, c)
		}
	}
	if done["event"] != "done" || done["passed"] != true || done["pass"] != float64(len(ids)) || done["fail"] != float64(0) || done["warn"] != float64(0) {
		t.Errorf("done record %v", done)
	}
	if strings.Contains(stdout+stderr, auditKeys["PLAID_SECRET"]) {
		t.Error("the secret was printed in full")
	}
	fi, err := os.Stat(keys)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	if b := testkit.ReadPrivate(t, keys); !strings.Contains(string(b), "PLAID_SECRET="+auditKeys["PLAID_SECRET"]+"\n") ||
		!strings.Contains(string(b), "PLAID_BASE_URL="+ready["plaid_url"].(string)+"\n") {
		t.Errorf("keys file holds %q", b)
	}
}

// TestAuditBrokenHandler: a handler that verifies nothing acts on a forgery: exit 1, and the
// checklist names the failing case with why it matters and the fix.
func TestAuditBrokenHandler(t *testing.T) {
	code, stdout, stderr, _ := runAuditAgainst(t, auditfixture.Fixture{Dedupe: true}, "--only", "genuine,no_signature")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q\nstdout:\n%s", code, stderr, stdout)
	}
	for _, want := range []string{
		"  pass  genuine       answered 200 and exchanged the public token",
		"  FAIL  no_signature  acted on a forged webhook: exchanged its public token",
		"why: Anyone can POST to a webhook URL",
		"fix: Refuse a webhook without a Plaid-Verification header",
		audit.DocsURL,
		"2 cases: 1 passed, 1 failed, 0 warned",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("checklist does not say %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, auditKeys["PLAID_SECRET"]) || !strings.Contains(stdout, "secret     ") {
		t.Errorf("secret line: the secret must show masked:\n%s", stdout)
	}
	code, stdout, _, _ = runAuditAgainst(t, auditfixture.Fixture{Dedupe: true}, "--only", "genuine,no_signature", "--json")
	recs := records(t, stdout)
	if done := recs[len(recs)-1]; code != 1 || done["event"] != "done" || done["passed"] != false || done["fail"] != float64(1) ||
		done["reason"] != "1 of 2 cases passed, 1 failed, 0 warned" {
		t.Errorf("exit %d, last record %v; want done, not passed, with the counts", code, done)
	}
}

// TestAuditUnreachableTarget: a target that never answers ends the audit after --wait with exit 2
// and a message naming the cause and the next step; no case runs.
func TestAuditUnreachableTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := "http://" + ln.Addr().String() + "/plaid/webhook"
	ln.Close() // nothing listens there now: connection refused
	var stdout, stderr bytes.Buffer
	code := testkit.Returns(t, "linkrecovery audit with a dead target", func() int {
		return run(context.Background(), []string{"audit", "--target", target, "--wait", "300ms", "--json"}, auditEnv, &stdout, &stderr)
	})
	if code != 2 {
		t.Fatalf("exit %d, want 2; stderr %q", code, stderr.String())
	}
	for _, want := range []string{target + " did not answer within 300ms", "refused", "start your app first", "--wait"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q does not say %q", stderr.String(), want)
		}
	}
	recs := records(t, stdout.String())
	if len(recs) != 3 || recs[0]["event"] != "ready" || recs[1]["event"] != "error" || recs[1]["step"] != "target" ||
		recs[2]["event"] != "done" || recs[2]["passed"] != false || !strings.Contains(fmt.Sprint(recs[2]["reason"]), "did not answer") {
		t.Errorf("records %v, want ready, an error at step target, and done (not passed, saying why)", recs)
	}
}

// TestAuditRunningEmulator: --emulator grades the handler against an emulator another process
// serves (here a harness one), with its keys from the environment; wrong keys exit 2 naming them.
func TestAuditRunningEmulator(t *testing.T) {
	emu := emulatortest.New(t, emulatortest.WithConfig(emulator.Config{ClientID: auditKeys["PLAID_CLIENT_ID"], Secret: auditKeys["PLAID_SECRET"]}))
	target := httptest.NewServer(auditfixture.Correct.Handler(t, emu.Client))
	t.Cleanup(target.Close)
	args := []string{"audit", "--target", target.URL, "--emulator", emu.URL, "--only", "genuine,wrong_key,expired_key,stale", "--json"}
	var stdout, stderr bytes.Buffer
	code := testkit.Returns(t, "linkrecovery audit --emulator", func() int {
		return run(context.Background(), args, auditEnv, &stdout, &stderr)
	})
	recs := records(t, stdout.String())
	if code != 0 || len(recs) != 6 || recs[0]["plaid_url"] != emu.URL || recs[5]["pass"] != float64(4) || recs[5]["passed"] != true {
		t.Fatalf("exit %d, stderr %q, records:\n%s", code, stderr.String(), stdout.String())
	}

	stdout.Reset()
	stderr.Reset()
	wrong := func(k string) string {
		if k == "PLAID_SECRET" {
			return "not-the-emulators-secret"
		}
		return auditEnv(k)
	}
	code = testkit.Returns(t, "linkrecovery audit --emulator with wrong keys", func() int {
		return run(context.Background(), args, wrong, &stdout, &stderr)
	})
	if code != 2 || !strings.Contains(stderr.String(), "INVALID_API_KEYS") || !strings.Contains(stderr.String(), "PLAID_SECRET") {
		t.Errorf("wrong keys: exit %d, stderr %q", code, stderr.String())
	}
}

// TestAuditInterrupted: a signal while the audit waits for the target ends it with exit 1, saying
// nothing was sent (not exit 2: nothing is wrong with the command line or the target yet).
func TestAuditInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := testkit.Returns(t, "linkrecovery audit after a signal", func() int {
		return run(ctx, []string{"audit", "--target", "http://127.0.0.1:9/plaid/webhook"}, auditEnv, &stdout, &stderr)
	})
	if code != 1 || !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), "nothing was sent") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestAuditReport: --report writes the audit as a 0600 Markdown report (every case with its
// verdict, the fix of a failed one, the forged webhooks marked as such, no secret in it), the JSON
// says where just before done, and an unwritable path is refused before anything starts.
func TestAuditReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.md")
	code, stdout, stderr, _ := runAuditAgainst(t, auditfixture.Fixture{Dedupe: true}, "--only", "genuine,no_signature", "--json", "--report", path)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (no_signature fails); stderr %q", code, stderr)
	}
	recs := records(t, stdout)
	if n := len(recs); n < 2 || recs[n-2]["event"] != "report" || recs[n-2]["path"] != path || recs[n-1]["event"] != "done" {
		t.Errorf("records end %v, want report (naming %s) then done", recs[max(0, len(recs)-2):], path)
	}
	md := string(testkit.ReadPrivate(t, path))
	for _, want := range []string{"# Link Recovery report: Audit of http://127.0.0.1:", "❌ failed", "1 of 2 cases failed",
		"| ✅ | genuine: pass, answered 200 and exchanged the public token", "| ❌ | no_signature: fail, acted on a forged webhook",
		"Fix: Refuse a webhook without a Plaid-Verification header", "forged on purpose (no_signature)", "```mermaid"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, auditKeys["PLAID_SECRET"]) || regexp.MustCompile(`public-sandbox-[0-9a-f]{8}-[0-9a-f]{4}-`).MatchString(md) {
		t.Errorf("the report holds the secret or a public token in full:\n%s", md)
	}

	var out, errOut bytes.Buffer
	code = run(context.Background(), []string{"audit", "--target", "http://127.0.0.1:9/hook", "--report", filepath.Join(t.TempDir(), "no", "such", "dir", "r.md")}, auditEnv, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "--report") || strings.Contains(out.String(), "Waiting") {
		t.Errorf("unwritable --report: exit %d, stderr %q, stdout %q; want exit 2 naming --report before anything starts", code, errOut.String(), out.String())
	}
}
