package env

import (
	"net/http"
	"testing"
)

// The guard passes CloseIdleConnections on, so Env.Close still drops the Plaid client's idle
// connections (one left open stalls the emulator's shutdown).
func TestPlaidGuardClosesIdleConnections(t *testing.T) {
	inner := &idleCounter{}
	(&http.Client{Transport: plaidGuard{inner}}).CloseIdleConnections()
	if inner.closed != 1 {
		t.Fatalf("CloseIdleConnections reached the wrapped transport %d times, want 1", inner.closed)
	}
}
