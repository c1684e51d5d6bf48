package tunnel

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ngrokMsg is an error text as ngrok's service sends it: the message, a blank line, the code.
func ngrokMsg(msg, code string) string { return msg + "\r\n\r\n" + code + "\r\n" }

// Each code the issue names, answered by the fake server the way ngrok's service answers it (Auth
// refused, or Bind refused for ERR_NGROK_334), gets its own cause and next step.
func TestNgrokErrorCodesFromServer(t *testing.T) {
	for _, tc := range []struct {
		name             string
		o                fakeNgrokOpts
		cause, next      string
		nextHasTokenHint bool
	}{
		{"105 malformed token", fakeNgrokOpts{authErr: ngrokMsg("The authtoken you specified does not look like a proper ngrok authtoken.", "ERR_NGROK_105")},
			"ngrok rejected the authtoken from ~/.config/ngrok/ngrok.yml: it is not a valid token (ERR_NGROK_105)", "ngrok config add-authtoken", true},
		{"107 revoked token", fakeNgrokOpts{authErr: ngrokMsg("The authtoken you specified is properly formed, but it is invalid.", "ERR_NGROK_107")},
			"ngrok rejected the authtoken from ~/.config/ngrok/ngrok.yml: it was revoked or belongs to no account (ERR_NGROK_107)", "dashboard.ngrok.com", true},
		{"108 session limit", fakeNgrokOpts{authErr: ngrokMsg("Your account is limited to 1 simultaneous ngrok agent sessions.", "ERR_NGROK_108")},
			"already has an agent session online (the free plan allows one) (ERR_NGROK_108)",
			"stop the other agent (a running `ngrok http`, or another linkrecovery), or wait a minute", false},
		{"4018 unverified", fakeNgrokOpts{authErr: ngrokMsg("Usage of ngrok requires a verified account and authtoken.", "ERR_NGROK_4018")},
			"ngrok requires a verified account before it serves traffic (ERR_NGROK_4018)", "verify your e-mail address", false},
		{"121 version", fakeNgrokOpts{authErr: ngrokMsg(`Your ngrok-agent version "1.12.1" is too old. The minimum supported agent version for your account is "3.2.0".`, "ERR_NGROK_121")},
			"ngrok refused this client as too old for your account (ngrok-go " + ngrokLibVersion + ")", "run a current `ngrok http` yourself", false},
		{"334 domain online", fakeNgrokOpts{bindErr: ngrokMsg("The endpoint 'https://calm-fox.ngrok-free.app' is already online.", "ERR_NGROK_334")},
			"your ngrok dev domain is already online, served by another agent (ERR_NGROK_334)", "stop the other agent using it", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeNgrokWith(t, tc.o)
			_, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, Source: "~/.config/ngrok/ngrok.yml",
				ServerAddr: f.addr, CA: f.ca, Deadline: testWait})
			te := checkNgrokErr(t, err, tc.cause)
			if !strings.Contains(te.Next, tc.next) {
				t.Errorf("next %q, want %q", te.Next, tc.next)
			}
			// Only a rejected token sends the user to change the token.
			if got := strings.Contains(te.Next, "NGROK_AUTHTOKEN"); got != tc.nextHasTokenHint {
				t.Errorf("next %q mentions NGROK_AUTHTOKEN: %v, want %v", te.Next, got, tc.nextHasTokenHint)
			}
		})
	}
}

// The server is told who we are: ngrok-go's own client type and real version (what ngrok's minimum
// version check reads), with linkrecovery named in the user agent.
func TestNgrokClientInfoArrives(t *testing.T) {
	f := newFakeNgrokWith(t, fakeNgrokOpts{})
	tun, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: f.addr, CA: f.ca, Deadline: testWait})
	if err != nil {
		t.Fatal(err)
	}
	defer tun.Close()
	f.mu.Lock()
	extra, _ := f.auths[0]["Extra"].(map[string]any)
	f.mu.Unlock()
	if extra["ClientType"] != "ngrok-go" || extra["Version"] != ngrokLibVersion {
		t.Errorf("ClientType %v Version %v, want ngrok-go %s", extra["ClientType"], extra["Version"], ngrokLibVersion)
	}
	ua, _ := extra["UserAgent"].(string)
	if !strings.HasPrefix(ua, "ngrok-go/"+ngrokLibVersion+" (linkrecovery/") {
		t.Errorf("UserAgent %q does not name linkrecovery", ua)
	}
	if ngrokLibVersion != "1.12.1" {
		t.Errorf("ngrok-go version from the build info is %q; go.mod pins 1.12.1", ngrokLibVersion)
	}
}

// The free plan is known from the plan the session reports, or from a free domain.
func TestNgrokFreePlan(t *testing.T) {
	for _, tc := range []struct {
		plan, url string
		free      bool
	}{
		{"Free", "https://fake-1234.ngrok.app", true},
		{"", "https://calm-fox-1.ngrok-free.app", true},
		{"", "https://calm-fox-1.ngrok-free.dev", true},
		{"Personal", "https://calm-fox-1.ngrok.app", false},
		{"", "https://fake-1234.ngrok.app", false},
	} {
		f := newFakeNgrokWith(t, fakeNgrokOpts{plan: tc.plan, url: tc.url})
		tun, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: f.addr, CA: f.ca, Deadline: testWait})
		if err != nil {
			t.Fatal(err)
		}
		if tun.Plan != tc.plan || tun.FreePlan() != tc.free {
			t.Errorf("plan %q url %s: Plan %q FreePlan %v, want %v", tc.plan, tc.url, tun.Plan, tun.FreePlan(), tc.free)
		}
		tun.Close()
	}
	if (&Tunnel{Provider: ProviderURL, URL: "https://x.ngrok-free.app"}).FreePlan() {
		t.Error("a --webhook-url tunnel is not ours to call ngrok's plan")
	}
}

// Quitting while the ngrok server has gone silent (offline) returns promptly: closing the listener,
// as the receiver's http.Server does on shutdown, does not wait for the unbind answer that never comes.
func TestNgrokCloseWhileOffline(t *testing.T) {
	f := newFakeNgrokWith(t, fakeNgrokOpts{hangUnbind: true})
	tun, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: f.addr, CA: f.ca, Deadline: testWait})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler()}
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(tun.Listener) }()

	done := make(chan error, 1)
	go func() {
		// As the app quits: the receiver shuts down (closing the listener), then the tunnel closes.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		done <- tun.Close()
	}()
	// Generous: without the bound, the unbind waits as long as the session lives (forever here).
	select {
	case <-done:
	case <-time.After(testWait):
		t.Fatal("closing the tunnel hung on a silent ngrok server")
	}
	<-served
	// The session is gone: the fake saw the connection end, so the free plan's one session is free
	// for the next run.
	select {
	case <-f.endedCh:
	case <-time.After(testWait):
		t.Fatal("the fake ngrok server never saw the session end")
	}
}

// BenchmarkNgrokCloseOffline measures quitting against a silent server; the target is under 3 s
// (ngrokCloseBound is 2 s).
func BenchmarkNgrokCloseOffline(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := newFakeNgrokWith(b, fakeNgrokOpts{hangUnbind: true})
		tun, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: f.addr, CA: f.ca, Deadline: testWait})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		_ = tun.Close()
		b.StopTimer()
	}
}

// connectProxy is a minimal HTTP CONNECT proxy on loopback that records what it was asked for.
type connectProxy struct {
	addr string
	mu   sync.Mutex
	seen []string
	auth []string // Proxy-Authorization of each request
}

func newConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{addr: ln.Addr().String()}
	acceptAll(t, ln, func(c net.Conn, track func(...io.Closer)) {
		defer c.Close()
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.seen = append(p.seen, req.Method+" "+req.Host)
		p.auth = append(p.auth, req.Header.Get("Proxy-Authorization"))
		p.mu.Unlock()
		if req.Method != http.MethodConnect {
			io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
			return
		}
		up, err := net.Dial("tcp", req.Host)
		if err != nil {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
			return
		}
		track(c, up)
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { io.Copy(up, br); up.Close() }()
		io.Copy(c, up)
	})
	return p
}

// With a proxy (as HTTPS_PROXY gives), the session goes through it with CONNECT.
func TestNgrokThroughProxy(t *testing.T) {
	f := newFakeNgrokWith(t, fakeNgrokOpts{})
	p := newConnectProxy(t)
	tun, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: f.addr, CA: f.ca,
		Deadline: testWait, Proxy: &url.URL{Scheme: "http", Host: p.addr, User: url.UserPassword("alice", "s3cret")}})
	if err != nil {
		t.Fatal(err)
	}
	defer tun.Close()
	p.mu.Lock()
	seen, auth := append([]string(nil), p.seen...), append([]string(nil), p.auth...)
	p.mu.Unlock()
	if len(seen) == 0 || seen[0] != "CONNECT "+f.addr {
		t.Fatalf("proxy saw %q, want CONNECT %s", seen, f.addr)
	}
	if auth[0] != "Basic YWxpY2U6czNjcmV0" { // alice:s3cret
		t.Errorf("Proxy-Authorization %q", auth[0])
	}
	if tun.URL != "https://fake-1234.ngrok.app" {
		t.Fatalf("URL %s", tun.URL)
	}
}

// A proxy that refuses is named in the error, and the user is not told to change the token.
func TestNgrokProxyRefuses(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	_, err := Ngrok(context.Background(), NgrokOptions{Authtoken: fakeToken, ServerAddr: "connect.ngrok-agent.com:443",
		Deadline: testWait, Proxy: &url.URL{Scheme: "http", Host: dead}})
	te := checkNgrokErr(t, err, "proxy http://"+dead)
	if strings.Contains(te.Next, "NGROK_AUTHTOKEN") {
		t.Errorf("next %q", te.Next)
	}
}

func TestNgrokProxyFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		getenv func(string) string
		server string
		want   string
	}{
		{env(), "", ""},
		{env("HTTPS_PROXY", "http://proxy.corp:3128"), "", "http://proxy.corp:3128"},
		{env("https_proxy", "proxy.corp:3128"), "", "http://proxy.corp:3128"},
		{env("HTTPS_PROXY", "http://proxy.corp:3128", "NO_PROXY", ".ngrok-agent.com"), "", ""},
		{env("ALL_PROXY", "socks5://127.0.0.2:1080"), "", "socks5://127.0.0.2:1080"},
		{env("HTTP_PROXY", "http://only-for-http:80"), "", ""},               // as net/http: https traffic ignores HTTP_PROXY
		{env("HTTPS_PROXY", "http://proxy.corp:3128"), "127.0.0.1:4443", ""}, // loopback is never proxied
	} {
		u, err := NgrokProxyFromEnv(tc.getenv, tc.server)
		got := ""
		if u != nil {
			got = u.String()
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.server, got, err, tc.want)
		}
	}
	if _, err := proxyOption(&url.URL{Scheme: "ftp", Host: "x"}); err == nil {
		t.Error("an ftp proxy was accepted")
	}
}

// ngrok's config file, at each OS's default place, v2 and v3 layouts.
func TestNgrokConfigAuthtoken(t *testing.T) {
	write := func(t *testing.T, path, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const v2 = "authtoken: tok-v2-file\nregion: eu\n"
	const v3cfg2 = "version: \"2\"\nauthtoken: tok-v3-version2\n"
	const v3cfg3 = "version: \"3\"\nagent:\n  authtoken: tok-v3-version3\nendpoints: []\n"
	for _, tc := range []struct {
		name  string
		goos  string
		files map[string]string // relative to home
		env   map[string]string // values: relative to home
		want  string            // token
		from  string            // path relative to home
	}{
		{"linux v3", "linux", map[string]string{".config/ngrok/ngrok.yml": v3cfg3}, nil, "tok-v3-version3", ".config/ngrok/ngrok.yml"},
		{"linux v3 config version 2", "linux", map[string]string{".config/ngrok/ngrok.yml": v3cfg2}, nil, "tok-v3-version2", ".config/ngrok/ngrok.yml"},
		{"linux XDG", "linux", map[string]string{"xdg/ngrok/ngrok.yml": v3cfg2, ".config/ngrok/ngrok.yml": v3cfg3},
			map[string]string{"XDG_CONFIG_HOME": "xdg"}, "tok-v3-version2", "xdg/ngrok/ngrok.yml"},
		{"linux v2 only", "linux", map[string]string{".ngrok2/ngrok.yml": v2}, nil, "tok-v2-file", ".ngrok2/ngrok.yml"},
		{"v3 wins over v2", "linux", map[string]string{".ngrok2/ngrok.yml": v2, ".config/ngrok/ngrok.yml": v3cfg3}, nil, "tok-v3-version3", ".config/ngrok/ngrok.yml"},
		{"v3 without token falls back to v2", "linux", map[string]string{".ngrok2/ngrok.yml": v2, ".config/ngrok/ngrok.yml": "version: \"3\"\n"}, nil, "tok-v2-file", ".ngrok2/ngrok.yml"},
		{"macOS", "darwin", map[string]string{"Library/Application Support/ngrok/ngrok.yml": v3cfg3}, nil, "tok-v3-version3", "Library/Application Support/ngrok/ngrok.yml"},
		{"macOS ignores the Linux place", "darwin", map[string]string{".config/ngrok/ngrok.yml": v3cfg3}, nil, "", ""},
		{"Windows LOCALAPPDATA", "windows", map[string]string{"AppData/Local/ngrok/ngrok.yml": v3cfg3},
			map[string]string{"LOCALAPPDATA": "AppData/Local", "USERPROFILE": "."}, "tok-v3-version3", "AppData/Local/ngrok/ngrok.yml"},
		{"Windows v2", "windows", map[string]string{".ngrok2/ngrok.yml": v2}, map[string]string{"USERPROFILE": "."}, "tok-v2-file", ".ngrok2/ngrok.yml"},
		{"none", "linux", nil, nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			for rel, body := range tc.files {
				write(t, filepath.Join(home, rel), body)
			}
			getenv := func(k string) string {
				if k == "HOME" {
					return home
				}
				if v, ok := tc.env[k]; ok {
					return filepath.Join(home, v)
				}
				return ""
			}
			tok, path, err := NgrokConfigAuthtoken(getenv, tc.goos)
			wantPath := ""
			if tc.from != "" {
				wantPath = filepath.Join(home, tc.from)
			}
			if err != nil || tok != tc.want || path != wantPath {
				t.Fatalf("got %q from %q (%v), want %q from %q", tok, path, err, tc.want, wantPath)
			}
		})
	}
}

// A broken file is an error that names it and never quotes the token.
func TestNgrokConfigBroken(t *testing.T) {
	home := t.TempDir()
	p := filepath.Join(home, ".config", "ngrok", "ngrok.yml")
	os.MkdirAll(filepath.Dir(p), 0o700)
	// agent must be a map; yaml's type error would quote the value.
	os.WriteFile(p, []byte("version: \"3\"\nagent: "+fakeToken+"\n"), 0o600)
	_, path, err := NgrokConfigAuthtoken(func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}, "linux")
	if err == nil || path != p || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "not valid YAML") {
		t.Fatalf("err %v path %s", err, path)
	}
	if strings.Contains(err.Error(), "SECRETTOKEN") {
		t.Fatalf("the token leaked: %v", err)
	}
	if ShortPath(p, home) != "~/.config/ngrok/ngrok.yml" {
		t.Errorf("ShortPath %s", ShortPath(p, home))
	}
}
