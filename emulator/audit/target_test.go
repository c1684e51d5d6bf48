package audit_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/emulator/audit"
)

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
