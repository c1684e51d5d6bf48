package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
)

// TestFlagErrorsNameTheirFlag runs the app with each kind of bad flag and checks that it exits 2
// before starting anything, naming the flag at fault.
func TestFlagErrorsNameTheirFlag(t *testing.T) {
	// This machine has only loopback, as far as --public-host is concerned.
	old := interfaceAddrs
	interfaceAddrs = func() ([]net.Addr, error) {
		return []net.Addr{&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)}}, nil
	}
	t.Cleanup(func() { interfaceAddrs = old })

	missing := filepath.Join(t.TempDir(), "nope.env")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"bad webhook timeout", []string{"--no-tui", "--webhook-timeout", "3x"}, []string{"-webhook-timeout", `"3x" is not a duration`, "90s"}},
		{"bad tunnel timeout", []string{"--no-tui", "--tunnel-timeout", "soon"}, []string{"-tunnel-timeout", `"soon" is not a duration`}},
		{"negative timeout", []string{"--no-tui", "--webhook-timeout", "-1m"}, []string{"--webhook-timeout must be longer than zero"}},
		{"missing env file", []string{"--no-tui", "--env-file", missing}, []string{"--env-file " + missing, "no such file"}},
		{"public host not ours", []string{"--no-tui", "--public-host", "203.0.113.9"}, []string{"--public-host 203.0.113.9 is not an address of this machine", "127.0.0.1"}},
		{"public host malformed", []string{"--no-tui", "--public-host", "http://x/y"}, []string{"--public-host"}},
		{"bad forward-to", []string{"--no-tui", "--forward-to", "ftp://x"}, []string{"--forward-to"}},
		{"no terminal", []string{"--half", "2"}, []string{"not a terminal", "use --no-tui"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr %q", code, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q does not contain %q", stderr.String(), w)
				}
			}
			if stdout.Len() != 0 {
				t.Errorf("a flag error drew on stdout: %q", stdout.String())
			}
		})
	}
}

// TestPublicHostOfThisMachineAccepted: loopback is an address every machine has.
func TestPublicHostOfThisMachineAccepted(t *testing.T) {
	if err := checkPublicHost(context.Background(), "127.0.0.1"); err != nil {
		t.Fatalf("checkPublicHost(127.0.0.1) = %v", err)
	}
}

// TestWebhookURLIgnoredInDemo: demo mode says it ignores --webhook-url (the run then stops at the
// missing terminal, which keeps the test from starting anything).
func TestWebhookURLIgnoredInDemo(t *testing.T) {
	var stderr bytes.Buffer
	run(context.Background(), []string{"--webhook-url", "https://x.example", "--listen", "127.0.0.1:0"},
		func(string) string { return "" }, &bytes.Buffer{}, &stderr)
	if !strings.Contains(stderr.String(), "--webhook-url is ignored in demo mode") {
		t.Fatalf("stderr %q does not say --webhook-url is ignored", stderr.String())
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, func(string) string { return "" }, &stdout, &bytes.Buffer{}); code != 0 {
		t.Fatalf("--version exit %d", code)
	}
	if !strings.HasPrefix(stdout.String(), "linkrecovery ") {
		t.Fatalf("--version printed %q", stdout.String())
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/bankdown/linkrecovery", Version: "v0.3.1"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-11-29T06:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := formatVersion(bi), "linkrecovery v0.3.1 revision 0123abcd (modified) from 2026-11-29T06:00:00Z, go1.26.0"; got != want {
		t.Errorf("formatVersion = %q, want %q", got, want)
	}
	bi.Settings = nil
	if got := formatVersion(bi); !strings.Contains(got, "no VCS revision") {
		t.Errorf("without vcs settings: %q", got)
	}
}

// emptyEnvFile is an existing, empty --env-file: a run that must not pick up a stray .env names
// one (an --env-file given must exist).
func emptyEnvFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "empty.env")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// noEnv is an empty environment: demo mode, no keys.
func noEnv(string) string { return "" }

// runEmulator runs `linkrecovery emulator ARGS` in this process, through the command line as a user
// would type it.
func runEmulator(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return run(ctx, append([]string{"emulator"}, args...), getenv, stdout, stderr)
}

// parseRoot parses and checks args as `linkrecovery ARGS` would, and returns the options the
// walk-through would have run with (gh's runF seam: nothing starts).
func parseRoot(args ...string) (options, error) {
	var got options
	root := newRootCmd(&process{getenv: noEnv, stdout: io.Discard, stderr: io.Discard}, func(o *options) error {
		got = *o
		return nil
	})
	finishTree(root, io.Discard, io.Discard)
	root.SetArgs(args)
	_, err := root.ExecuteC()
	return got, err
}

// parseEmulator is parseRoot for `linkrecovery emulator ARGS`.
func parseEmulator(args ...string) (emulatorOptions, error) {
	var got emulatorOptions
	root := newRootCmd(&process{getenv: noEnv, stdout: io.Discard, stderr: io.Discard}, nil)
	root.AddCommand(newEmulatorCmd(&process{getenv: noEnv}, func(o *emulatorOptions) error {
		got = *o
		return nil
	}))
	finishTree(root, io.Discard, io.Discard)
	root.SetArgs(append([]string{"emulator"}, args...))
	_, err := root.ExecuteC()
	return got, err
}

// runCLI runs the command line in this process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, noEnv, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestHelpGoesToStdout: help is output asked for, so it goes to stdout (and can be piped to a
// pager) and exits 0, for every command and every way of asking.
func TestHelpGoesToStdout(t *testing.T) {
	root := []string{"Usage:\n  linkrecovery [flags]\n  linkrecovery [command]", "--no-tui", "emulator ", "help environment"}
	emulator := []string{"Usage:\n  linkrecovery emulator [flags]", "--addr ADDR", "--keys-file FILE"}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, root},
		{[]string{"-h"}, root},
		{[]string{"help"}, root},
		{[]string{"--no-tui", "--help"}, root},
		{[]string{"help", "emulator"}, emulator},
		{[]string{"emulator", "--help"}, emulator},
		{[]string{"emulator", "-h"}, emulator},
		{[]string{"help", "environment"}, []string{"PLAID_CLIENT_ID", "LINKRECOVERY_DEBUG"}},
		{[]string{"help", "completion", "bash"}, []string{"linkrecovery completion bash"}},
		{[]string{"completion"}, []string{"Usage:\n  linkrecovery completion [flags]", "bash", "powershell"}},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(t, tt.args...)
		if code != 0 || stderr != "" {
			t.Errorf("%q: exit %d, stderr %q; want 0 and nothing on stderr", tt.args, code, stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%q: stdout does not hold %q:\n%s", tt.args, w, stdout)
			}
		}
	}
}

// TestHelpFitsTheTerminal: the help of every command, flag help included, fits in usageWidth
// columns (cobra's own template does not wrap flag help).
func TestHelpFitsTheTerminal(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"emulator", "--help"}, {"help", "environment"}} {
		_, stdout, _ := runCLI(t, args...)
		for _, line := range strings.Split(stdout, "\n") {
			if w := utf8.RuneCountInString(line); w > usageWidth {
				t.Errorf("%q: a line of %d columns: %q", args, w, line)
			}
		}
	}
}

// TestFlagErrorsAreOneLine: a mistake on the command line exits 2 with one line naming the flag or
// word at fault once, and one line pointing at the right --help; no usage dump, nothing on stdout.
func TestFlagErrorsAreOneLine(t *testing.T) {
	tests := []struct {
		args  []string
		named string // appears exactly once in the message
		also  string
		help  string // the command whose --help the second line points at
	}{
		{[]string{"--nope"}, "--nope", "unknown flag", "linkrecovery"},
		{[]string{"--halff", "1"}, "--halff", "did you mean --half?", "linkrecovery"},
		{[]string{"--webhook-t", "1m"}, "--webhook-t ", "did you mean --webhook-timeout?", "linkrecovery"},
		{[]string{"-auto"}, " -auto ", "two dashes, as in --auto", "linkrecovery"},
		{[]string{"-x"}, "-x", "unknown shorthand flag", "linkrecovery"},
		{[]string{"--half"}, "--half", "needs an argument", "linkrecovery"},
		{[]string{"--half", "x"}, "--half", `takes a whole number, not "x"`, "linkrecovery"},
		{[]string{"--half", "3"}, "--half", "must be 1 (sign-up) or 2 (session)", "linkrecovery"},
		{[]string{"--auto=maybe"}, "--auto", `takes true or false, not "maybe"`, "linkrecovery"},
		{[]string{"--webhook-timeout", "3x"}, "--webhook-timeout", `"3x" is not a duration; write it like 90s`, "linkrecovery"},
		{[]string{"--theme", "pink"}, "--theme", `not "pink"`, "linkrecovery"},
		{[]string{"--scenario", "bogus"}, "--scenario", "one of " + strings.Join(flows.Names(), ", "), "linkrecovery"},
		{[]string{"stray"}, `"stray"`, "unexpected argument", "linkrecovery"},
		{[]string{"emulater"}, `"emulater"`, "did you mean emulator?", "linkrecovery"},
		{[]string{"emulator", "--nope"}, "--nope", "unknown flag", "linkrecovery emulator"},
		{[]string{"emulator", "--addr"}, "--addr", "needs an argument", "linkrecovery emulator"},
		{[]string{"emulator", "extra"}, `"extra"`, "unexpected argument", "linkrecovery emulator"},
		{[]string{"version", "--nope"}, "--nope", "unknown flag", "linkrecovery version"},
		{[]string{"help", "nosuch"}, `"nosuch"`, "no help topic", "linkrecovery"},
		{[]string{"completion", "nosh"}, `"nosh"`, "unexpected argument", "linkrecovery completion"},
	}
	for _, tt := range tests {
		code, stdout, stderr := runCLI(t, tt.args...)
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if code != 2 || stdout != "" || len(lines) != 2 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2, nothing on stdout and two lines on stderr", tt.args, code, stdout, stderr)
			continue
		}
		if n := strings.Count(lines[0], tt.named); n != 1 || !strings.Contains(lines[0], tt.also) {
			t.Errorf("%q: %q names %q %d times (want once) or lacks %q", tt.args, lines[0], tt.named, n, tt.also)
		}
		if want := "Run '" + tt.help + " --help' for usage."; lines[1] != want {
			t.Errorf("%q: second line %q, want %q", tt.args, lines[1], want)
		}
	}
}

// TestFlagErrorIsInert: the command line is text from outside, echoed in the error: it reaches the
// terminal with its control characters escaped.
func TestFlagErrorIsInert(t *testing.T) {
	_, _, stderr := runCLI(t, "--\x1b]2;PWNED\x07")
	if strings.ContainsAny(stderr, "\x1b\x07") || !strings.Contains(stderr, "PWNED") {
		t.Errorf("stderr %q: want the flag named with its escapes made inert", stderr)
	}
}

// TestCompletion: `completion bash` writes a bash script that bash parses and that registers
// itself for linkrecovery, the other shells get theirs, and the program answers the scripts'
// queries (cobra's __complete) with its commands, its flags and their values.
func TestCompletion(t *testing.T) {
	code, script, stderr := runCLI(t, "completion", "bash")
	if code != 0 || stderr != "" || !strings.HasPrefix(script, "# bash completion V2 for linkrecovery") {
		t.Fatalf("completion bash: exit %d, stderr %q, script starts %.60q", code, stderr, script)
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		f := filepath.Join(t.TempDir(), "linkrecovery.bash")
		if err := os.WriteFile(f, []byte(script), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bash, "-c", `set -e; bash -n "$1"; source "$1"; complete -p linkrecovery`, "bash", f).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "-F __start_linkrecovery linkrecovery") {
			t.Errorf("bash did not load the script: %v\n%s", err, out)
		}
	} else {
		t.Log("no bash here: the script's syntax is not checked")
	}
	for shell, want := range map[string]string{"zsh": "#compdef linkrecovery", "fish": "complete -c linkrecovery", "powershell": "Register-ArgumentCompleter"} {
		if code, out, _ := runCLI(t, "completion", shell); code != 0 || !strings.Contains(out, want) {
			t.Errorf("completion %s: exit %d, no %q in its script", shell, code, want)
		}
	}

	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{""}, []string{"emulator\t", "version\t", "completion\t", "help\t"}},
		{[]string{"--th"}, []string{"--theme\t"}},
		{[]string{"--theme", ""}, []string{"auto", "dark", "light"}},
		{[]string{"--scenario", ""}, []string{"signup", "session"}},
		{[]string{"--half", ""}, []string{"1\tsign-up", "2\tsession"}},
		{[]string{"emulator", "--k"}, []string{"--keys-file\t"}},
		{[]string{"help", "em"}, []string{"emulator\t"}},
	} {
		_, out, _ := runCLI(t, append([]string{"__complete"}, tt.args...)...)
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("__complete %q: no %q in\n%s", tt.args, w, out)
			}
		}
	}
}

// TestOldFlagsStillWork: every flag of the old parser (Go's flag package) still exists on the same
// command and sets what it set, in both --name value and --name=value forms.
func TestOldFlagsStillWork(t *testing.T) {
	tests := []struct {
		args []string
		ok   func(o options) bool
	}{
		{[]string{"--half", "1"}, func(o options) bool { return o.half == 1 }},
		{[]string{"--half=2"}, func(o options) bool { return o.half == 2 }},
		{[]string{"--no-tui"}, func(o options) bool { return o.noTUI }},
		{[]string{"--auto"}, func(o options) bool { return o.auto }},
		{[]string{"--transcript", "run.jsonl"}, func(o options) bool { return o.transcript == "run.jsonl" }},
		{[]string{"--report", "run.md"}, func(o options) bool { return o.report == "run.md" }},
		{[]string{"--env-file", "x.env"}, func(o options) bool { return o.envFile == "x.env" && o.envFileSet }},
		{[]string{"--theme", "light"}, func(o options) bool { return o.theme == "light" }},
		{[]string{"--webhook-url", "https://x.example", "--listen", "127.0.0.1:9"}, func(o options) bool {
			return o.webhookURL == "https://x.example" && o.listen == "127.0.0.1:9"
		}},
		{[]string{"--forward-to", "http://127.0.0.1:3000/hook"}, func(o options) bool { return o.forwardTo == "http://127.0.0.1:3000/hook" }},
		{[]string{"--forward-unverified"}, func(o options) bool { return o.forwardUnverified }},
		{[]string{"--only-plaid-ips"}, func(o options) bool { return o.onlyPlaidIPs }},
		{[]string{"--public-host", "192.168.1.20"}, func(o options) bool { return o.publicHost == "192.168.1.20" }},
		{[]string{"--redirect-uri", "https://x.example/done"}, func(o options) bool { return o.redirectURI == "https://x.example/done" }},
		{[]string{"--webhook-timeout", "90s"}, func(o options) bool { return o.webhookTimeout == 90*time.Second }},
		{[]string{"--tunnel-timeout", "1m"}, func(o options) bool { return o.tunnelTimeout == time.Minute }},
		{[]string{"--products", "auth,transactions"}, func(o options) bool { return o.products == "auth,transactions" }},
	}
	covered := map[string]bool{"help": true, "version": true, "scenario": true} // --version: TestVersion
	for _, tt := range tests {
		o, err := parseRoot(tt.args...)
		if err != nil || !tt.ok(o) {
			t.Errorf("%q: %+v, %v", tt.args, o, err)
		}
		covered[strings.TrimPrefix(strings.SplitN(tt.args[0], "=", 2)[0], "--")] = true
	}
	o, err := parseRoot()
	if err != nil || o.envFile != ".env" || o.envFileSet || o.theme != "auto" || o.half != 0 || o.products != "auth" ||
		o.webhookTimeout != flows.DefaultWebhookTimeout || o.tunnelTimeout != env.DefaultTunnelDeadline {
		t.Errorf("defaults: %+v, %v", o, err)
	}
	newRootCmd(&process{}, nil).Flags().VisitAll(func(f *pflag.Flag) {
		if !covered[f.Name] && f.Name != "listen" {
			t.Errorf("--%s is not in this test", f.Name)
		}
	})

	e, err := parseEmulator("--addr", "127.0.0.1:0", "--public-url", "http://192.168.1.20:8790", "--keys-file", "k.env", "--quiet")
	if err != nil || e != (emulatorOptions{addr: "127.0.0.1:0", publicURL: "http://192.168.1.20:8790", keysFile: "k.env", quiet: true}) {
		t.Errorf("emulator flags: %+v, %v", e, err)
	}
	if e, _ := parseEmulator(); e.addr != "127.0.0.1:8790" {
		t.Errorf("emulator --addr default %q", e.addr)
	}
}

// TestScenarioAndHalf: --scenario names any scenario of flows.Scenarios; --half 1 and --half 2 are
// the first two by number; the two cannot disagree, and a wrong name is told with every name.
func TestScenarioAndHalf(t *testing.T) {
	for _, tt := range []struct {
		args     []string
		scenario string
		err      string
	}{
		{[]string{"--half", "1"}, "signup", ""},
		{[]string{"--scenario", "session", "--half", "2"}, "session", ""},
		{nil, "", ""},
		{[]string{"--scenario", "signup", "--half", "2"}, "", "--half 2 is the scenario session, but --scenario says signup"},
		{[]string{"--scenario", "bogus"}, "", `--scenario must be one of ` + strings.Join(flows.Names(), ", ") + `, not "bogus"`},
	} {
		o, err := parseRoot(tt.args...)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || o.scenario != tt.scenario {
			t.Errorf("%q: scenario %q, %v; want %q", tt.args, o.scenario, err, tt.scenario)
		}
	}
	for _, name := range flows.Names() {
		if o, err := parseRoot("--scenario", name); err != nil || o.scenario != name {
			t.Errorf("--scenario %s: %q, %v", name, o.scenario, err)
		}
	}
}

// TestFlagsSpelledOneWay: every flag of every command is --lower-case-words, every value has an
// UPPERCASE placeholder, and help text mentions flags with two dashes only.
func TestFlagsSpelledOneWay(t *testing.T) {
	name := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	placeholder := regexp.MustCompile(`^[A-Z]+$`)
	oneDash := regexp.MustCompile(`(^|[\s(])-[a-z]{2,}`)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, text := range []string{c.Short, c.Long, c.Example} {
			if m := oneDash.FindString(text); m != "" {
				t.Errorf("%s: a flag written with one dash: %q", c.CommandPath(), m)
			}
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !name.MatchString(f.Name) {
				t.Errorf("%s --%s: not lower-case words", c.CommandPath(), f.Name)
			}
			if m := oneDash.FindString(f.Usage); m != "" {
				t.Errorf("%s --%s: a flag written with one dash in %q", c.CommandPath(), f.Name, m)
			}
			if p, _ := pflag.UnquoteUsage(f); f.Value.Type() != "bool" && !placeholder.MatchString(p) {
				t.Errorf("%s --%s: placeholder %q, want an UPPERCASE word", c.CommandPath(), f.Name, p)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newApp(&process{getenv: noEnv, stdout: io.Discard, stderr: io.Discard}))
}

// TestEmulatorFirstLines: scripts read the emulator's first two lines, "base URL …" then
// "client id …", with its keys from PLAID_CLIENT_ID/PLAID_SECRET, else made up.
func TestEmulatorFirstLines(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the emulator returns once it has printed its lines
	for _, tt := range []struct {
		env      map[string]string
		clientID string
		secret   string
	}{
		{map[string]string{"PLAID_CLIENT_ID": "firstlines000001", "PLAID_SECRET": "firstlinessecret0123456789"}, "firstlines000001", "from PLAID_SECRET"},
		{nil, "", "made up"},
	} {
		var stdout, stderr bytes.Buffer
		code := runEmulator(ctx, []string{"--addr", "127.0.0.1:0", "--quiet"}, func(k string) string { return tt.env[k] }, &stdout, &stderr)
		lines := strings.Split(stdout.String(), "\n")
		if code != 0 || len(lines) < 3 {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
		}
		base, ok1 := strings.CutPrefix(lines[0], "base URL   ")
		id, ok2 := strings.CutPrefix(lines[1], "client id  ")
		if !ok1 || !ok2 || !strings.HasPrefix(base, "http://127.0.0.1:") || id == "" || (tt.clientID != "" && id != tt.clientID) {
			t.Errorf("first lines %q", lines[:2])
		}
		if !strings.HasPrefix(lines[2], "secret     ") || !strings.Contains(lines[2], tt.secret) || strings.Contains(lines[2], "firstlinessecret0123456789") {
			t.Errorf("secret line %q", lines[2])
		}
	}
}

// TestEnvironmentTopicNamesEveryVariable: `help environment` lists each variable the program reads.
func TestEnvironmentTopicNamesEveryVariable(t *testing.T) {
	_, out, _ := runCLI(t, "help", "environment")
	for _, v := range []string{env.EnvClientID, env.EnvSecret, env.EnvPlaidEnv, env.EnvPlaidBaseURL, env.EnvNgrokAuthtoken, "LINKRECOVERY_DEBUG", "COLORFGBG", "HTTPS_PROXY"} {
		if !strings.Contains(out, v) {
			t.Errorf("help environment does not name %s", v)
		}
	}
}

// TestVersionCommand: `linkrecovery version` prints what --version prints.
func TestVersionCommand(t *testing.T) {
	_, a, _ := runCLI(t, "version")
	_, b, _ := runCLI(t, "--version")
	if a == "" || a != b || a != versionLine()+"\n" {
		t.Errorf("version %q, --version %q, want %q", a, b, versionLine())
	}
}
