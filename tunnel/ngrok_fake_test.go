package tunnel

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.ngrok.com/muxado/v2"
)

// fakeNgrok speaks just enough of the ngrok agent protocol (TLS, muxado, JSON RPCs on typed
// streams: 0 Auth, 1 Bind) to answer Auth and Bind as told. It records the Auth and Bind requests.
type fakeNgrok struct {
	addr string
	ca   *x509.CertPool
	fakeNgrokOpts
	stop chan struct{}

	mu      sync.Mutex
	auths   []map[string]any
	binds   []map[string]any
	unbinds int
	ended   int           // sessions whose connection ended (the client closed it)
	endedCh chan struct{} // a signal each time one ends
}

// fakeNgrokOpts says how the fake answers. ngrok's service answers a refused Auth or Bind with an
// Error string whose last line is the code (e.g. "...\r\n\r\nERR_NGROK_108\r\n"), which ngrok-go
// turns into an ngrok.Error.
type fakeNgrokOpts struct {
	authErr    string // non-empty: Auth fails with this
	bindErr    string // non-empty: Bind fails with this (ERR_NGROK_334 comes here)
	hang       bool   // accept Auth, never answer Bind
	hangUnbind bool   // never answer Unbind: a server gone silent, as when the network drops
	plan       string // PlanName in the Auth answer
	url        string // the Bind answer's URL (default https://fake-1234.ngrok.app)
}

func newFakeNgrok(t *testing.T, authErr string, hang bool) *fakeNgrok {
	t.Helper()
	return newFakeNgrokWith(t, fakeNgrokOpts{authErr: authErr, hang: hang})
}

func newFakeNgrokWith(t testing.TB, o fakeNgrokOpts) *fakeNgrok {
	t.Helper()
	if o.url == "" {
		o.url = "https://fake-1234.ngrok.app"
	}
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake ngrok"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNgrok{addr: ln.Addr().String(), ca: pool, fakeNgrokOpts: o, stop: make(chan struct{}), endedCh: make(chan struct{}, 1)}
	acceptAll(t, ln, func(c net.Conn, track func(...io.Closer)) {
		sess := muxado.Server(c, &muxado.Config{})
		track(sess)
		f.serve(muxado.NewTypedStreamSession(sess))
	})
	t.Cleanup(func() { close(f.stop) }) // registered last, so it runs first: the sessions see stop first
	return f
}

func (f *fakeNgrok) serve(sess muxado.TypedStreamSession) {
	for {
		st, err := sess.AcceptTypedStream()
		if err != nil {
			f.mu.Lock()
			f.ended++
			f.mu.Unlock()
			select {
			case f.endedCh <- struct{}{}:
			default:
			}
			return
		}
		go func() {
			defer st.Close()
			if st.StreamType() == 0xFFFFFFFF { // muxado heartbeat: echo
				io.Copy(st, st)
				return
			}
			var req map[string]any
			if err := json.NewDecoder(st).Decode(&req); err != nil {
				return
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			var resp any = map[string]any{}
			switch st.StreamType() {
			case 0:
				f.auths = append(f.auths, req)
				resp = map[string]any{"Version": "2", "ClientId": "fake-client", "Error": f.authErr,
					"Extra": map[string]any{"Region": "local", "PlanName": f.plan}}
			case 1:
				f.binds = append(f.binds, req)
				if f.hang {
					f.mu.Unlock()
					<-f.stop
					f.mu.Lock()
					return
				}
				if f.bindErr != "" {
					resp = map[string]any{"Id": req["Id"], "Error": f.bindErr}
					break
				}
				resp = map[string]any{"Id": "bind-1", "URL": f.url, "Proto": "https", "Opts": req["Opts"]}
			case 2:
				f.unbinds++
				if f.hangUnbind {
					f.mu.Unlock()
					<-f.stop
					f.mu.Lock()
					return
				}
			}
			json.NewEncoder(st).Encode(resp)
		}()
	}
}

// A rejected authtoken comes back at once, by name, never printing the token.
func TestNgrokRejectedToken(t *testing.T) {
	f := newFakeNgrok(t, "The authtoken you specified does not look like a proper ngrok authtoken.\n\nERR_NGROK_105", false)
	_, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: f.addr, CA: f.ca, Deadline: testWait})
	te := checkNgrokErr(t, err, "ngrok rejected the authtoken: it is not a valid token (ERR_NGROK_105)")
	if errors.Is(te, context.DeadlineExceeded) {
		t.Fatalf("the deadline ended the start (%v); the rejection must end it", te.Err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.auths) != 1 {
		t.Fatalf("%d auth attempts, want exactly 1 (no retrying a rejected token)", len(f.auths))
	}
	extra, _ := f.auths[0]["Extra"].(map[string]any)
	if extra["Authtoken"] != fakeToken {
		t.Fatalf("the authtoken was not sent to the server")
	}
}

// A server that authenticates but never binds the endpoint: the deadline says we were connected.
// The deadline must outlast connecting and authenticating on a loaded machine, and the test waits
// all of it, so it is a compromise: wide enough for -race on shared cores, short enough to run.
func TestNgrokConnectedButNoTunnel(t *testing.T) {
	f := newFakeNgrok(t, "", true)
	_, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: f.addr, CA: f.ca, Deadline: 5 * time.Second})
	te := checkNgrokErr(t, err, "connected to ngrok at "+f.addr+", but the tunnel was not ready within 5s")
	if !errors.Is(te, context.DeadlineExceeded) {
		t.Fatalf("err %v", te.Err)
	}
}

// The happy path against the fake: the public URL comes from the Bind answer, the CIDR restriction
// is sent with the endpoint, and Close ends the session.
func TestNgrokTunnelUpWithCIDRs(t *testing.T) {
	f := newFakeNgrok(t, "", false)
	tun, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: f.addr, CA: f.ca,
		AllowCIDRs: PlaidWebhookCIDRs, Deadline: testWait})
	if err != nil {
		t.Fatal(err)
	}
	if tun.Provider != ProviderNgrok || tun.URL != "https://fake-1234.ngrok.app" || tun.WebhookURL() != "https://fake-1234.ngrok.app/webhook" {
		t.Fatalf("%+v", tun)
	}
	f.mu.Lock()
	bind, _ := json.Marshal(f.binds)
	f.mu.Unlock()
	for _, c := range PlaidWebhookCIDRs {
		if !strings.Contains(string(bind), c) {
			t.Errorf("bind request lacks the allowed CIDR %s: %s", c, bind)
		}
	}
	if err := tun.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := tun.Listener.Accept(); err == nil {
		t.Fatal("Accept after Close succeeded")
	}
}
