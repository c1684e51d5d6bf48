package webhook

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/tunnel"
)

// keyring is a fake Plaid key service: known keys by kid, and a count of lookups.
type keyring struct {
	keys    map[string]Key
	privs   map[string]*ecdsa.PrivateKey
	lookups atomic.Int64
}

func newKeyring(t testing.TB) *keyring {
	t.Helper()
	kr := &keyring{keys: map[string]Key{}, privs: map[string]*ecdsa.PrivateKey{}}
	kr.add(t, "kid-good", nil)
	past := time.Now().Add(-time.Hour)
	kr.add(t, "kid-expired", &past)
	return kr
}

func (kr *keyring) add(t testing.TB, kid string, expired *time.Time) *ecdsa.PrivateKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	kr.privs[kid] = priv
	kr.keys[kid] = Key{KID: kid, Public: &priv.PublicKey, CreatedAt: time.Now().Add(-24 * time.Hour), ExpiredAt: expired}
	return priv
}

func (kr *keyring) WebhookKey(_ context.Context, kid string) (Key, error) {
	kr.lookups.Add(1)
	k, ok := kr.keys[kid]
	if !ok {
		return Key{}, fmt.Errorf("kid %s: %w", kid, ErrUnknownKey)
	}
	return k, nil
}

func (kr *keyring) sign(t testing.TB, kid string, body []byte, iat time.Time) string {
	t.Helper()
	h, err := Sign(kr.privs[kid], kid, body, iat)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func sessionFinished(session string) []byte {
	return []byte(`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","status":"SUCCESS",` +
		`"link_session_id":"` + session + `","link_token":"link-sandbox-123",` +
		`"public_tokens":["public-sandbox-` + session + `"],"environment":"sandbox"}`)
}

// serve starts r on a loopback listener and returns its base URL; the receiver stops with the test.
func serve(t testing.TB, r *Receiver) string {
	t.Helper()
	tun, err := tunnel.Local("", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, tun.Listener) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return tun.URL
}

// testWait bounds every wait on a condition in this package's tests. It is generous because the
// machine is shared and -race is slow; a wait ends as soon as its condition holds, so it costs
// nothing when things are fast.
const testWait = 2 * time.Minute

// nextEvent waits for the next event of a kind, skipping others (forwards arrive asynchronously).
func nextEvent(t testing.TB, r *Receiver, kinds ...EventKind) Event {
	t.Helper()
	timeout := time.After(testWait)
	for {
		select {
		case ev, ok := <-r.Events():
			if !ok {
				t.Fatal("events closed while waiting")
			}
			if len(kinds) == 0 {
				return ev
			}
			for _, k := range kinds {
				if ev.Kind == k {
					return ev
				}
			}
		case <-timeout:
			t.Fatalf("no %v event within %s", kinds, testWait)
		}
	}
}

// kinds counts events by kind.
func kinds(evs []Event) map[EventKind]int {
	n := map[EventKind]int{}
	for _, e := range evs {
		n[e.Kind]++
	}
	return n
}

// rawHTTP writes raw bytes to addr and returns the response status (0 if the server hung up).
// It sends what net/http's client refuses to: truncated bodies, header bytes outside ASCII.
func rawHTTP(t testing.TB, baseURL, raw string, closeWrite bool) int {
	t.Helper()
	addr := strings.TrimPrefix(baseURL, "http://")
	c, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testWait))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	if closeWrite {
		c.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func post(t testing.TB, url, contentType, verification string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if verification != "" {
		req.Header.Set("Plaid-Verification", verification)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
