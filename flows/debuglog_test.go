package flows

import (
	"io"
	"log"
	"net/http"
	"testing"
)

type idleCounter struct {
	http.RoundTripper
	closed int
}

func (c *idleCounter) CloseIdleConnections() { c.closed++ }

// TestDebugTransportClosesIdleConnections: wrapping the Plaid transport for the debug log must
// not stop Env.Close from dropping idle connections.
func TestDebugTransportClosesIdleConnections(t *testing.T) {
	inner := &idleCounter{}
	c := &http.Client{Transport: debugTransport(inner, log.New(io.Discard, "", 0))}
	c.CloseIdleConnections()
	if inner.closed != 1 {
		t.Fatalf("CloseIdleConnections reached the wrapped transport %d times, want 1", inner.closed)
	}
}
