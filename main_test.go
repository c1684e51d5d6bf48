package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator/emulatortest"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// The test binary doubles as the app: with LINKRECOVERY_RUN_MAIN set it runs main() with the arguments
// after "--", so process-level tests (a pty, exit codes) need no separate build.
func TestMain(m *testing.M) {
	if os.Getenv("LINKRECOVERY_RUN_MAIN") != "" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"linkrecovery"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		return
	}
	os.Exit(m.Run())
}

// testWait bounds every wait on a condition in this package's tests (a line of output, a frame, an
// exit). It is generous because the machine is shared and -race is slow; a wait ends as soon as its
// condition holds, so it costs nothing when things are fast.
const testWait = testkit.Wait

// appCommand returns the app as a subprocess with a clean environment (no Plaid keys: demo mode).
func appCommand(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = []string{
		"LINKRECOVERY_RUN_MAIN=1",
		"HOME=" + t.TempDir(),
		"PATH=" + os.Getenv("PATH"),
		"TERM=xterm-256color",
	}
	cmd.Dir = t.TempDir() // no stray .env is picked up
	return cmd
}

func TestParseFlagsRejectsBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--half", "3"}, "--half must be 1"},
		{[]string{"--theme", "pink"}, "--theme must be"},
		{[]string{"--webhook-url", "https://x.example"}, "go together"},
		{[]string{"stray"}, "unexpected argument"},
		{[]string{"--products", "auth,bogus"}, "not a Plaid product"},
	}
	for _, tt := range tests {
		_, err := parseRoot(tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseRoot(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
	o, err := parseRoot("--half", "2", "--no-tui", "--auto", "--webhook-url", "https://x.example", "--listen", "127.0.0.1:9")
	if err != nil || o.half != 2 || !o.noTUI || !o.auto || o.listen != "127.0.0.1:9" {
		t.Errorf("parseRoot(valid) = %+v, %v", o, err)
	}
	o, err = parseRoot("--forward-to", "http://127.0.0.1:3000/hook", "--forward-unverified", "--only-plaid-ips")
	var cfg env.Config
	o.apply(&cfg)
	if err != nil || cfg.ForwardTo != "http://127.0.0.1:3000/hook" || !cfg.ForwardUnverified || !cfg.OnlyPlaidIPs {
		t.Errorf("--forward-unverified/--only-plaid-ips: %+v, %v", cfg, err)
	}
	var c env.Config
	o.apply(&c)
	if strings.Join(c.Products, ",") != "auth" {
		t.Errorf("default products = %v, want auth", c.Products)
	}
	o, _ = parseRoot("--products", "auth, transactions")
	o.apply(&c)
	if strings.Join(c.Products, ",") != "auth,transactions" {
		t.Errorf("--products auth,transactions gave %v", c.Products)
	}
}

func TestAutoRefusedWithRealKeys(t *testing.T) {
	env := map[string]string{"PLAID_CLIENT_ID": "id", "PLAID_SECRET": "secret"}
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"--auto", "--no-tui", "--env-file", emptyEnvFile(t)},
		func(k string) string { return env[k] }, io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--auto only works in demo mode") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestEmulatorCommand starts `linkrecovery emulator` the way a script would: read the base URL and client
// id it prints, then use them with plaid-go. The secret is never printed in full.
func TestEmulatorCommand(t *testing.T) {
	const secret = "emulatorsecret0123456789abcdef"
	keys := filepath.Join(t.TempDir(), "keys.env")
	cmd := appCommand(t, "emulator", "--addr", "127.0.0.1:0", "--keys-file", keys, "--quiet")
	cmd.Env = append(cmd.Env, "PLAID_CLIENT_ID=scriptclient0001", "PLAID_SECRET="+secret)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	printed := map[string]string{}
	var all strings.Builder
	sc := bufio.NewScanner(stdout)
	for len(printed) < 4 && sc.Scan() {
		line := sc.Text()
		all.WriteString(line + "\n")
		if k, v, ok := strings.Cut(line, "  "); ok {
			printed[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	base, clientID := printed["base URL"], printed["client id"]
	if !strings.HasPrefix(base, "http://127.0.0.1:") || clientID != "scriptclient0001" {
		t.Fatalf("emulator printed %q", all.String())
	}
	if strings.Contains(all.String(), secret) {
		t.Fatalf("the secret was printed in full: %q", all.String())
	}
	fi, err := os.Stat(keys)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}

	client := emulatortest.NewClient(t, base, clientID, secret)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	req := plaid.NewLinkTokenCreateRequest("script", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("u1"))
	req.SetWebhook("http://127.0.0.1:9/webhook")
	req.SetHostedLink(plaid.LinkTokenCreateHostedLink{})
	resp, _, err := client.PlaidApi.LinkTokenCreate(ctx).LinkTokenCreateRequest(*req).Execute()
	if err != nil {
		t.Fatalf("link/token/create against the emulator command: %v", err)
	}
	if !strings.HasPrefix(resp.GetHostedLinkUrl(), base+"/") {
		t.Errorf("hosted_link_url %q is not under the printed base URL %q", resp.GetHostedLinkUrl(), base)
	}
}

// TestHeadlessHalf2Auto runs the whole session half in demo mode as a script would and checks the
// JSON lines and the exit code.
func TestHeadlessHalf2Auto(t *testing.T) {
	transcript := filepath.Join(t.TempDir(), "run.jsonl")
	cmd := appCommand(t, "--no-tui", "--half", "2", "--auto", "--transcript", transcript)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(testWait):
		_ = cmd.Process.Kill()
		t.Fatalf("no exit after %s\nstdout:\n%s\nstderr:\n%s", testWait, stdout.String(), stderr.String())
	}

	var events []string
	var exchanged, finishedVerified bool
	for _, r := range records(t, stdout.String()) {
		ev, _ := r["event"].(string)
		events = append(events, ev)
		switch ev {
		case "ready":
			if r["mode"] != "demo" {
				t.Errorf("ready.mode = %v, want demo", r["mode"])
			}
		case "webhook":
			if r["webhook_code"] == "SESSION_FINISHED" && r["verified"] == true {
				finishedVerified = true
			}
		case "public_token_exchanged":
			exchanged = r["item_id"] != nil && r["item_id"] != ""
		case "done":
			if r["passed"] != true {
				t.Errorf("done.passed = %v", r["passed"])
			}
		}
	}
	if len(events) == 0 || events[0] != "ready" || events[len(events)-1] != "done" {
		t.Errorf("events %v: want ready first and done last", events)
	}
	if !finishedVerified || !exchanged {
		t.Errorf("verified SESSION_FINISHED: %v, exchanged: %v; output:\n%s", finishedVerified, exchanged, stdout.String())
	}
	fi, err := os.Stat(transcript)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("transcript: %v (mode %v), want 0600", err, fi.Mode().Perm())
	}
	if strings.Contains(stdout.String(), "access-sandbox-") {
		t.Errorf("an access token was printed")
	}
}

// TestStartDoesNotQueryTerminal runs the TUI on a pty that never answers and checks that the first
// frame is drawn and that the app never asked the terminal for its background colour (OSC 11), which
// would stall start-up for 5 s on such a terminal.
func TestStartDoesNotQueryTerminal(t *testing.T) {
	out, stop := startOnPTY(t, appCommand(t))
	defer stop()
	if !out.waitFor("Link Recovery", testWait) {
		t.Fatalf("no first frame within %s; screen bytes: %q", testWait, out.String())
	}
	for _, q := range []string{"\x1b]11;?", "\x1b]10;?", "\x1b[6n"} {
		if strings.Contains(out.String(), q) {
			t.Errorf("the app queried the terminal with %q", q)
		}
	}
}

// BenchmarkStartToFirstFrame measures a whole process start (demo mode) until the first frame is on
// the pty, against a baseline of starting the same binary only to print its usage.
func BenchmarkStartToFirstFrame(b *testing.B) {
	b.Run("baseline-help", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			cmd := appCommand(b, "-h")
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("first-frame", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			out, stop := startOnPTY(b, appCommand(b))
			if !out.waitFor("Link Recovery", testWait) {
				stop()
				b.Fatalf("no first frame: %q", out.String())
			}
			b.StopTimer()
			stop()
			b.StartTimer()
		}
	})
}

// screen collects what the app writes to its terminal.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.buf.String() }

func (s *screen) waitFor(text string, within time.Duration) bool {
	return testkit.Within(within, func() bool { return strings.Contains(s.String(), text) })
}

func startOnPTY(t testing.TB, cmd *exec.Cmd) (*screen, func()) {
	t.Helper()
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	s := &screen{}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			s.mu.Lock()
			s.buf.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s, func() {
		_, _ = fmt.Fprint(ptmx, "q")
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(testWait):
			_ = cmd.Process.Kill()
			<-exited
		}
		ptmx.Close()
		<-copied
	}
}

// BenchmarkHeadlessHalf2Auto measures the demo's whole half 2 as a user runs it (`--no-tui --half 2
// --auto`: process start, emulator, tunnel, token, Hosted Link session, verified SESSION_FINISHED,
// exchange, done), against the same baseline as BenchmarkStartToFirstFrame.
func BenchmarkHeadlessHalf2Auto(b *testing.B) {
	for i := 0; i < b.N; i++ {
		cmd := appCommand(b, "--no-tui", "--half", "2", "--auto")
		out, err := cmd.Output()
		if err != nil || !bytes.Contains(out, []byte(`"passed":true`)) {
			b.Fatalf("half 2 did not pass: %v\n%s", err, out)
		}
	}
}

// TestEmulatorKeysFileRefusesSymlink: --keys-file never writes the keys through a symbolic link
// (which could point at another file to clobber, or somewhere others can read), and tightens a
// file that existed with looser permissions.
func TestEmulatorKeysFileRefusesSymlink(t *testing.T) {
	link, kept := testkit.SymlinkTrap(t, "keys.env")
	dir := filepath.Dir(link)
	getenv := func(string) string { return "" }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	code := runEmulator(ctx, []string{"--addr", "127.0.0.1:0", "--keys-file", link, "--quiet"}, getenv, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "symbolic link") {
		t.Errorf("exit %d, stderr %q; want 1 and a refusal naming the symbolic link", code, stderr.String())
	}
	if !kept() {
		t.Error("the link's target changed")
	}

	loose := filepath.Join(dir, "loose.env")
	if err := os.WriteFile(loose, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runEmulator(ctx2, []string{"--addr", "127.0.0.1:0", "--keys-file", loose, "--quiet"}, getenv, io.Discard, io.Discard)
	}()
	testkit.Eventually(t, "the keys file is written", func() bool {
		b, _ := os.ReadFile(loose)
		return strings.Contains(string(b), "PLAID_SECRET=")
	})
	cancel2()
	<-done
	if fi, err := os.Stat(loose); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("existing keys file: %v mode %v, want 0600", err, fi.Mode().Perm())
	}
}

// records parses JSON lines: a headless run's stdout, or the audit's with --json.
func records(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		out = append(out, r)
	}
	return out
}
