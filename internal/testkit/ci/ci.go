// Package ci holds the one rule for a test that needs something installed (tmux, Chromium,
// Mermaid): on a developer's machine it is skipped, naming the install; under CI, which installs
// everything (.ci/run), it fails, so a missing tool can never pass as a skip there.
package ci

import (
	"os"
	"os/exec"
	"testing"
)

// Set says whether the tests run under CI ($CI set, as .ci/run does).
func Set() bool { return os.Getenv("CI") != "" }

// Missing ends t for want of what: a skip that names install, or under CI a failure.
func Missing(t testing.TB, what, install string) {
	t.Helper()
	if Set() {
		t.Fatalf("%s, and CI is set, so this is a failure, not a skip: install it with %s", what, install)
		return
	}
	t.Skipf("skipping: %s; install it with %s", what, install)
}

// NeedCommand is Missing unless the command name is on PATH.
func NeedCommand(t testing.TB, name, install string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		Missing(t, name+" is not installed", install)
	}
}
