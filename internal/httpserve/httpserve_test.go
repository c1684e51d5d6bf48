package httpserve

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// TestProductionLimits pins the limits the issue asks for: a stalled body is dropped within 30 s.
func TestProductionLimits(t *testing.T) {
	srv := New(http.NotFoundHandler(), Limits{})
	if srv.ReadTimeout <= 0 || srv.ReadTimeout > 30*time.Second {
		t.Errorf("ReadTimeout = %s, want 0 < t ≤ 30s", srv.ReadTimeout)
	}
	if srv.ReadHeaderTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("limits not all set: %+v", srv)
	}
	if got := New(nil, Limits{WriteTimeout: time.Hour}).WriteTimeout; got != time.Hour {
		t.Errorf("WriteTimeout override = %s", got)
	}
}

// TestStalledBodyIsDropped plays a slowloris client: full headers, half the promised body, then
// silence. The server must close the connection once ReadTimeout passes (shortened here so the
// test is quick; the production value is pinned above).
func TestStalledBodyIsDropped(t *testing.T) {
	handled := make(chan error, 1)
	srv := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		handled <- err
	}), Limits{ReadTimeout: 300 * time.Millisecond, ReadHeaderTimeout: 300 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"half\":"); err != nil {
		t.Fatal(err)
	}
	// The server closes the connection: our read ends (EOF or reset), well before our own deadline.
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server still held the stalled connection after 20 s")
	}
	select {
	case err := <-handled:
		if err == nil {
			t.Error("the handler read a complete body from a stalled client")
		}
	case <-time.After(20 * time.Second):
		t.Error("the handler never returned")
	}
}
