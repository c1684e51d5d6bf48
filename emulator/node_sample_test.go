package emulator

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// nodeSampleEnv names a node_modules directory holding Plaid's Node client (`npm install plaid`); the
// test runs only when it is set, since the tests must run offline and npm is not.
const nodeSampleEnv = "PLAID_NODE_MODULES"

// TestPlaidNodeHostedLinkSample runs testdata/hosted_link_sample.js, a Hosted Link integration in the
// style of Plaid's samples using Plaid's own Node client, against the emulator with only its base URL
// changed, and checks it runs to the end: token, Link finished by a person (CompleteSession here),
// public token from /link/token/get, exchange, balances, institution, removal.
func TestPlaidNodeHostedLinkSample(t *testing.T) {
	mods := os.Getenv(nodeSampleEnv)
	if mods == "" {
		t.Skipf("set %s to a node_modules with Plaid's Node client (npm install plaid) to run Plaid's client against the emulator", nodeSampleEnv)
	}
	if _, err := os.Stat(filepath.Join(mods, "plaid")); err != nil {
		t.Fatalf("%s=%s has no plaid package: %v (run npm install plaid there)", nodeSampleEnv, mods, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("%s is set but node is not installed: %v", nodeSampleEnv, err)
	}
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	script, _ := filepath.Abs(filepath.Join("testdata", "hosted_link_sample.js"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, v.srv.URL, v.emu.ClientID(), v.emu.Secret(), rc.srv.URL+"/hook")
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	next := func() map[string]any {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("the sample stopped early: %v", cmd.Wait())
		}
		var m map[string]any
		if err := json.Unmarshal(lines.Bytes(), &m); err != nil {
			t.Fatalf("sample printed %q: %v", lines.Text(), err)
		}
		if m["step"] == "error" {
			t.Fatalf("the sample failed against the emulator: %s", lines.Text())
		}
		return m
	}
	created := next()
	u, _ := created["hosted_link_url"].(string)
	if err := v.emu.CompleteSession(ctx, u, goodLogin); err != nil {
		t.Fatalf("completing the sample's Link session: %v", err)
	}
	_, _ = io.WriteString(stdin, "done\n")
	bal := next()
	if accts, _ := bal["accounts"].([]any); len(accts) != len(sandboxAccounts) || bal["institution"] != "First Platypus Bank" {
		t.Errorf("the sample showed %v", bal)
	}
	if m := next(); m["step"] != "removed" {
		t.Errorf("last step %v", m)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the sample exited with %v", err)
	}
}
