package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/testkit"
	"github.com/bankdown/linkrecovery/tunnel"
)

// fakeOpener puts an xdg-open on PATH that runs script.
func fakeOpener(t *testing.T, script string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the opener is xdg-open on Linux only")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
}

func TestOpenBrowser(t *testing.T) {
	fakeOpener(t, `[ "$1" = "`+fixedURL2+`" ] || exit 9`)
	if _, ok := openBrowserCmd(context.Background(), fixedURL2)().(browserOpenedMsg); !ok {
		t.Fatal("a working opener did not report success")
	}
	fakeOpener(t, `echo "no method available for opening" >&2; exit 3`)
	msg, ok := openBrowserCmd(context.Background(), fixedURL2)().(stepErrMsg)
	if !ok || !strings.Contains(msg.err.Error(), "no browser (") || !strings.Contains(errorText(errEntry{step: msg.step, err: msg.err}), "use the URL") {
		t.Fatalf("failing opener: %+v", msg)
	}
	// The failure is shown and the app goes on.
	f := newFixture(t, true, 100, 30)
	f.open(nSession)
	if cmd := f.key("o"); cmd == nil {
		t.Fatal("o gave no Cmd")
	}
	f.send(msg)
	if v := f.m.View(); !strings.Contains(v, "✗ o: no browser (") {
		t.Fatalf("browser error not shown:\n%s", v)
	}
}

func TestOpenTunnelWithoutEnv(t *testing.T) {
	msg := openTunnelCmd(context.Background(), nil)().(tunnelMsg)
	if down, ok := msg.in.(flows.TunnelDown); !ok || !errors.Is(down.Err, env.ErrNoEnv) {
		t.Fatalf("got %+v", msg)
	}
}

// TestOpenTunnelDemo opens a real loopback tunnel and receiver through flows.
func TestOpenTunnelDemo(t *testing.T) {
	env := testkit.DemoEnv(t, env.Config{})
	msg := openTunnelCmd(context.Background(), env)().(tunnelMsg)
	up, ok := msg.in.(flows.TunnelUp)
	if !ok || up.Provider != string(tunnel.ProviderLocal) || !strings.HasSuffix(up.WebhookURL, "/webhook") || msg.events == nil {
		t.Fatalf("tunnel: %+v", msg)
	}
}

func TestWriteRecordsInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.jsonl")
	tr, err := flows.OpenTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, true, 100, 30, func(o *Options) { o.Transcript = tr })
	f.tunnelUp()
	// Opening the half records ready (the machine waits for nothing: the tunnel is up).
	w, ok := await[transcriptWrittenMsg](f.key("2"))
	if !ok || w.err != nil {
		t.Fatalf("write: %+v %v", w, ok)
	}
	f.send(w)
	cmd := f.send(created(nSession, f.token(nSession)))
	w, ok = await[transcriptWrittenMsg](cmd)
	if !ok || w.err != nil {
		t.Fatalf("write: %+v %v", w, ok)
	}
	// While nothing is written, records queue up; quitting writes them before tea.Quit.
	f.send(w)
	f.m.transcriptBusy = true // pretend a write is in flight
	f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken2, evInstitutionDown)})
	f.send(callFailed(nSession, "poll /link/token/get", context.DeadlineExceeded))
	f.m.transcriptBusy = false
	quit := f.key("q")
	if quit == nil {
		t.Fatal("no quit Cmd")
	}
	_ = collect(quit, nil) // runs the sequence's Cmds
	_ = tr.Close()
	recs := readRecords(t, path)
	var names []string
	for _, r := range recs {
		names = append(names, r["event"].(string))
	}
	if got := strings.Join(names, ","); got != "ready,link_token_created,waiting,webhook,error" {
		t.Fatalf("transcript: %s", got)
	}
}
