package main

import (
	"bytes"
	"context"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// symlinkTo makes dir/name a symlink to a 0644 file holding "keep" and returns both paths.
func symlinkTo(t *testing.T, name string) (link, target string) {
	t.Helper()
	dir := t.TempDir()
	target = filepath.Join(dir, "victim")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link = filepath.Join(dir, name)
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symlinks: %v", err)
	}
	return link, target
}

func assertUntouched(t *testing.T, target string) {
	t.Helper()
	b, _ := os.ReadFile(target)
	fi, err := os.Stat(target)
	if err != nil || string(b) != "keep" || fi.Mode().Perm() != 0o644 {
		t.Errorf("the symlink's target changed: %q %v %v", b, fi.Mode(), err)
	}
}

func TestKeysFileRefusesSymlinkAndTightens(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the emulator returns as soon as it has written the keys and printed its lines
	getenv := func(string) string { return "" }

	link, target := symlinkTo(t, "keys.env")
	var stderr bytes.Buffer
	if code := runEmulator(ctx, []string{"--addr", "127.0.0.1:0", "--keys-file", link, "--quiet"}, getenv, &bytes.Buffer{}, &stderr); code != 1 {
		t.Fatalf("exit %d with a symlinked --keys-file, want 1; stderr %q", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--keys-file") || !strings.Contains(stderr.String(), "symbolic link") {
		t.Errorf("stderr does not name the cause: %q", stderr.String())
	}
	assertUntouched(t, target)

	keys := filepath.Join(t.TempDir(), "keys.env")
	if err := os.WriteFile(keys, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := runEmulator(ctx, []string{"--addr", "127.0.0.1:0", "--keys-file", keys, "--quiet"}, getenv, &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr %q", code, stderr.String())
	}
	fi, err := os.Stat(keys)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if b, _ := os.ReadFile(keys); !strings.Contains(string(b), "PLAID_SECRET=") {
		t.Errorf("keys file = %q", b)
	}
}

func TestDebugLogIsPrivateAndMasked(t *testing.T) {
	defer log.SetOutput(os.Stderr)
	defer log.SetPrefix(log.Prefix())

	link, target := symlinkTo(t, debugLogFile)
	if f, err := openDebugLog(link); err == nil {
		f.Close()
		t.Fatal("the debug log followed a symlink")
	} else if !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), "LINKRECOVERY_DEBUG") {
		t.Errorf("error does not name the cause: %v", err)
	}
	assertUntouched(t, target)

	path := filepath.Join(t.TempDir(), debugLogFile)
	if err := os.WriteFile(path, []byte("earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := openDebugLog(path)
	if err != nil {
		t.Fatal(err)
	}
	const tok = "debug-log-secret-0123456789abcdef"
	secret.Register(tok)
	log.Printf("request failed: PLAID-SECRET=%s", tok)
	f.Close()
	fi, _ := os.Stat(path)
	b, _ := os.ReadFile(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("debug log mode %v, want 0600", fi.Mode().Perm())
	}
	if strings.Contains(string(b), tok) || !strings.Contains(string(b), secret.Mask(tok)) || !strings.HasPrefix(string(b), "earlier run\n") {
		t.Errorf("debug log = %q", b)
	}
}

// The headless run's stdout (and transcript) mask a PLAID_SECRET that a proxy echoed into an error
// body, and hold no raw control character (encoding/json escapes them).
func TestHeadlessStdoutMasksEchoedSecret(t *testing.T) {
	const plaidSecret = "headless-echoed-secret-0123456789ab"
	proxy := testkit.EchoingProxy(t)
	env := map[string]string{"PLAID_CLIENT_ID": "headless-client-id", "PLAID_SECRET": plaidSecret, "PLAID_BASE_URL": proxy.URL}
	transcript := filepath.Join(t.TempDir(), "run.jsonl")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--no-tui", "--half", "2", "--env-file", emptyEnvFile(t),
		"--webhook-url", "http://127.0.0.1:9/webhook", "--listen", "127.0.0.1:0", "--transcript", transcript},
		func(k string) string { return env[k] }, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stdout %s stderr %s", code, stdout.String(), stderr.String())
	}
	file, _ := os.ReadFile(transcript)
	for name, out := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String(), "transcript": string(file)} {
		if strings.Contains(out, plaidSecret) {
			t.Errorf("%s holds PLAID_SECRET: %s", name, out)
		}
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("%s holds a raw control character: %q", name, out)
		}
	}
	if !strings.Contains(stdout.String(), secret.Mask(plaidSecret)) || !strings.Contains(stdout.String(), `\u001b]2;PWNED\u0007`) {
		t.Errorf("stdout lacks the masked secret or the escaped sequence:\n%s", stdout.String())
	}
}
