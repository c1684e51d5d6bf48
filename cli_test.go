package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
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
