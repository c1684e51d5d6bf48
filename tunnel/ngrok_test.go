package tunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/internal/secret"
)

const fakeToken = "2abcdefghijklmnopqrstuvwxyz_SECRETTOKENVALUE"

// fakeNgrokServer is a local TCP listener that misbehaves as told: "close" hangs up at once, "hang"
// accepts and never says a word.
func fakeNgrokServer(t *testing.T, mode string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acceptAll(t, ln, func(c net.Conn, track func(...io.Closer)) {
		if mode == "close" {
			c.Close()
			return
		}
		track(c)
	})
	return ln.Addr().String()
}

// acceptAll serves ln until the test ends: each connection goes to handle on a goroutine of its
// own, with track to hand the cleanup what it must close; the cleanup closes ln and all that was
// tracked, and waits for every handler to return.
func acceptAll(t testing.TB, ln net.Listener, handle func(c net.Conn, track func(...io.Closer))) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []io.Closer
	track := func(cs ...io.Closer) {
		mu.Lock()
		defer mu.Unlock()
		open = append(open, cs...)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(c, track)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}

func checkNgrokErr(t *testing.T, err error, wantCause string) *Error {
	t.Helper()
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("err %v (%T), want *tunnel.Error", err, err)
	}
	if te.Provider != ProviderNgrok || !strings.Contains(te.Cause, wantCause) {
		t.Fatalf("cause %q, want it to contain %q", te.Cause, wantCause)
	}
	// Every next step offers the user's own tunnel as a way round.
	if !strings.Contains(te.Next, "--webhook-url") {
		t.Errorf("next step %q does not mention --webhook-url", te.Next)
	}
	if strings.Contains(te.Error(), fakeToken) || strings.Contains(te.Error(), "SECRETTOKEN") {
		t.Fatalf("the authtoken leaked into the error: %s", te.Error())
	}
	return te
}

func TestNgrokNoToken(t *testing.T) {
	_, err := Ngrok(context.Background(), NgrokOptions{})
	te := checkNgrokErr(t, err, "NGROK_AUTHTOKEN is not set and ngrok's config file has none")
	if !strings.Contains(te.Next, "ngrok config add-authtoken") {
		t.Errorf("next %q", te.Next)
	}
}

func TestNgrokBadCIDR(t *testing.T) {
	_, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, AllowCIDRs: []string{"52.21.26.131"}})
	var te *Error
	if !errors.As(err, &te) || !strings.Contains(te.Cause, `"52.21.26.131" is not a CIDR`) {
		t.Fatalf("err %v", err)
	}
	for _, c := range PlaidWebhookCIDRs {
		if _, _, err := net.ParseCIDR(c); err != nil {
			t.Errorf("PlaidWebhookCIDRs: %v", err)
		}
	}
}

// testWait is the deadline of every tunnel start that a test expects to end some other way (an
// error, success). It is generous because the machine is shared and -race is slow; the start ends as
// soon as that happens, so it costs nothing when things are fast.
const testWait = 2 * time.Minute

// The first connection error ends the start, not the deadline.
func TestNgrokRefused(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: addr, Deadline: testWait})
	te := checkNgrokErr(t, err, "refused the connection")
	// The token is set: a network failure must not send the user off to change it.
	if strings.Contains(te.Next, "NGROK_AUTHTOKEN") || !strings.Contains(te.Next, "network") {
		t.Errorf("network failure, next step %q", te.Next)
	}
	if errors.Is(te, context.DeadlineExceeded) {
		t.Fatalf("the deadline ended the start (%v); the first error must end it", te.Err)
	}
}

func TestNgrokServerHangsUp(t *testing.T) {
	_, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: fakeNgrokServer(t, "close"), Deadline: testWait})
	te := checkNgrokErr(t, err, "closed the connection before the session started")
	if errors.Is(te, context.DeadlineExceeded) {
		t.Fatalf("the deadline ended the start (%v); the hang-up must end it", te.Err)
	}
}

// A server that accepts and never answers: the deadline ends it with a clear message.
func TestNgrokServerHangs(t *testing.T) {
	const deadline = 1500 * time.Millisecond
	addr := fakeNgrokServer(t, "hang")
	_, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: addr, Deadline: deadline})
	te := checkNgrokErr(t, err, "no answer from the ngrok service at "+addr+" within 1.5s")
	if !errors.Is(te, context.DeadlineExceeded) {
		t.Errorf("err does not wrap DeadlineExceeded: %v", te.Err)
	}
}

func TestNgrokCallerCancels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := Ngrok(ctx, NgrokOptions{Authtoken: fakeToken, ServerAddr: fakeNgrokServer(t, "hang"), Deadline: time.Minute})
	checkNgrokErr(t, err, "cancelled while starting")
}

// fakeNgrokErr is what ngrok-go hands back when the service refuses (it implements ngrok.Error).
type fakeNgrokErr struct{ msg, code string }

func (e fakeNgrokErr) Error() string     { return e.msg + "\n\nhttps://ngrok.com/docs/errors/" + e.code }
func (e fakeNgrokErr) Msg() string       { return e.msg }
func (e fakeNgrokErr) ErrorCode() string { return e.code }

func TestNgrokErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("authentication failed: %w", fakeNgrokErr{"The authtoken you specified is invalid.", "ERR_NGROK_107"}),
			"ngrok rejected the authtoken: it was revoked or belongs to no account (ERR_NGROK_107)"},
		{fakeNgrokErr{"Your account is limited to 1 simultaneous ngrok agent sessions.", "ERR_NGROK_108"}, "already has an agent session online"},
		{fakeNgrokErr{"Usage of ngrok requires a verified account and authtoken.", "ERR_NGROK_4018"}, "requires a verified account"},
		{fakeNgrokErr{"Something new\nsecond line", "ERR_NGROK_9999"}, "ngrok refused: Something new (ERR_NGROK_9999)"},
		{&net.DNSError{Err: "no such host", Name: "connect.ngrok-agent.com"}, "cannot resolve connect.ngrok-agent.com for the ngrok server"},
		{errors.New("authentication failed: The authtoken you specified is " + fakeToken), "ngrok rejected the authtoken"},
		{errors.New("tls: first record does not look like a TLS handshake"), "TLS handshake"},
		{errors.New("failed to send authentication request: session closed"), "closed the connection before the session started"},
		{errors.New("something else"), "could not start the ngrok tunnel: something else"},
	} {
		e := ngrokError(tc.err, "connect.ngrok-agent.com:443", fakeToken, "")
		if !strings.Contains(e.Cause, tc.want) || strings.Contains(e.Cause, fakeToken) {
			t.Errorf("%v -> %q, want %q and no token", tc.err, e.Cause, tc.want)
		}
	}
	if secret.Mask(fakeToken) != "2abc…ALUE" || secret.Mask("short") != "****" {
		t.Errorf("secret.Mask: %q", secret.Mask(fakeToken))
	}
}
