package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	plaid "github.com/plaid/plaid-go/v29/plaid"
)

// browserPost sends what Chromium sends for a cross-site <form method="post" enctype="text/plain">
// whose one field is named `{"path":...,"pad":"` with the value `"}`: a body that parses as JSON,
// Content-Type text/plain, the attacker's Origin, and no keys. (text/plain encodes each field as
// name=value followed by CRLF; the attacker hides the "=" inside a JSON string.)
func browserPost(t *testing.T, v *env, path, body, origin string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, v.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Origin", origin)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	req.Header.Set("Sec-Fetch-Dest", "document")
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	return send(t, req)
}

// TestCrossSiteFormCannotDriveControlPlane reproduces the attack in issue 8: a page on another site
// posts fault JSON as a text/plain form. It must be refused, and the next /link/token/create must
// still succeed. (On the old emulator the fault was queued and the call failed with 500.)
func TestCrossSiteFormCannotDriveControlPlane(t *testing.T) {
	v := newEnv(t, Config{})
	attacks := []struct{ path, body string }{
		{"/emulator/faults", "{\"path\":\"/link/token/create\",\"count\":5,\"http_status\":500,\"error_message\":\"x=\"}\r\n"},
		{"/emulator/webhook_faults", "{\"drop\":100,\"pad\":\"=\"}\r\n"},
		{"/emulator/institutions/restore", "{\"institution_id\":\"\",\"pad\":\"=\"}\r\n"},
	}
	for _, a := range attacks {
		st, body := browserPost(t, v, a.path, a.body, "http://evil.example")
		if st < 400 || st > 499 {
			t.Errorf("cross-site text/plain POST %s: HTTP %d %s, want a 4xx refusal", a.path, st, body)
		}
	}
	if err := createToken(v); err != nil {
		t.Fatalf("/link/token/create after the cross-site form: %v %s", err, errBody(err))
	}
	// Even with the keys, text/plain is not JSON: a form can never be mistaken for a script.
	hdr := keys(v)
	hdr["Content-Type"] = "text/plain"
	if st, body := rawPost(t, v, "/emulator/faults", `{"path":"/link/token/create","http_status":500}`, hdr); st != http.StatusUnsupportedMediaType || !strings.Contains(body2s(body), "application/json") {
		t.Errorf("text/plain with keys: HTTP %d %s, want 415 naming application/json", st, body)
	}
	if err := createToken(v); err != nil {
		t.Fatalf("/link/token/create after a text/plain fault: %v", err)
	}
	// A keyless DELETE cannot clear faults the developer queued.
	v.emu.InjectFault(Fault{Path: "/item/get", HTTPStatus: 503})
	req, _ := http.NewRequest(http.MethodDelete, v.srv.URL+"/emulator/faults", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Error("a keyless DELETE /emulator/faults cleared the faults")
	}
}

func body2s(b []byte) string { return string(b) }

// TestControlEndpointsNeedKeys: every machine endpoint refuses a missing or wrong key as the Plaid
// API does, and takes the keys in headers or in the body.
func TestControlEndpointsNeedKeys(t *testing.T) {
	v := newEnv(t, Config{})
	for _, p := range []string{"/emulator/inbox.json", "/emulator/deliveries.json"} {
		for name, hdr := range map[string]map[string]string{
			"none":  nil,
			"wrong": {"PLAID-CLIENT-ID": v.emu.ClientID(), "PLAID-SECRET": "wrong-secret"},
		} {
			req, _ := http.NewRequest(http.MethodGet, v.srv.URL+p, nil)
			for k, val := range hdr {
				req.Header.Set(k, val)
			}
			st, pe := sendForPlaidError(t, req)
			if st != 400 || pe.ErrorCode != "INVALID_API_KEYS" {
				t.Errorf("GET %s with %s keys: HTTP %d %+v, want 400 INVALID_API_KEYS", p, name, st, pe)
			}
		}
		resp, err := controlGet(v, p)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s with the keys: %v %v", p, err, resp.Status)
		}
		resp.Body.Close()
	}
	for _, p := range []string{"/emulator/faults", "/emulator/webhook_faults", "/emulator/institutions/restore"} {
		if st, body := rawPost(t, v, p, `{}`, nil); st != 400 || !strings.Contains(string(body), "INVALID_API_KEYS") {
			t.Errorf("keyless POST %s: HTTP %d %s", p, st, body)
		}
	}
	// Keys in the body, as the Plaid API also accepts them; they are not mistaken for fault fields.
	body := `{"client_id":"` + v.emu.ClientID() + `","secret":"` + v.emu.Secret() + `","path":"/item/get","http_status":503}`
	if st, b := rawPost(t, v, "/emulator/faults", body, nil); st != 200 {
		t.Errorf("keys in the body: HTTP %d %s", st, b)
	}
}

// TestKeylessRequestDoesNotUseUpFault: a fault stands for Plaid misbehaving for the developer's
// calls. A keyless request (a stranger, a cross-site form) gets INVALID_API_KEYS and leaves the
// fault for the developer's next call.
func TestKeylessRequestDoesNotUseUpFault(t *testing.T) {
	v := newEnv(t, Config{})
	v.emu.InjectFault(Fault{Path: "/link/token/create", Count: 1, HTTPStatus: 503})
	st, body := rawPost(t, v, "/link/token/create", `{"client_name":"x"}`, nil)
	if st != 400 || !strings.Contains(string(body), "INVALID_API_KEYS") {
		t.Errorf("keyless call: HTTP %d %s, want 400 INVALID_API_KEYS", st, body)
	}
	if err := createToken(v); err == nil || v.rec.last(t, "/link/token/create").Status != 503 {
		t.Errorf("the developer's call did not get the queued fault: %v", err)
	}
	if err := createToken(v); err != nil {
		t.Errorf("the fault outlived its count: %v", err)
	}
}

// TestControlPagesRefuseOtherSites: DNS rebinding (a foreign Host) is refused on every /emulator
// path; the restore button works only with the page's token and from the emulator's own origin.
func TestControlPagesRefuseOtherSites(t *testing.T) {
	v := newEnv(t, Config{})
	get := func(host string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, v.srv.URL+"/emulator", nil)
		req.Host = host
		return send(t, req)
	}
	port := v.srv.Listener.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndex(port, ":")+1:]
	for _, h := range []string{"evil.example:" + port, "evil.example", "127.0.0.1.nip.io:" + port} {
		if st, body := get(h); st != http.StatusForbidden || !strings.Contains(body, "DNS rebinding") {
			t.Errorf("Host %q: HTTP %d %q, want 403 naming DNS rebinding", h, st, body)
		}
	}
	for _, h := range []string{strings.TrimPrefix(v.srv.URL, "http://"), "localhost:" + port} {
		if st, _ := get(h); st != 200 {
			t.Errorf("Host %q (the emulator itself): HTTP %d", h, st)
		}
	}

	_, index := getPage(t, v, v.emu.ControlURL())
	token := match(regexp.MustCompile(`name="emulator_form_token" value="([^"]+)"`), index)
	if token == "" {
		t.Fatal("the restore form on the control link's page carries no token")
	}
	post := func(form url.Values, origin string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, v.srv.URL+"/emulator/institutions/restore", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		return send(t, req)
	}
	if st, body := post(url.Values{"institution_id": {""}}, v.srv.URL); st != 403 || !strings.Contains(body, "token") {
		t.Errorf("restore form without the token: HTTP %d %q", st, body)
	}
	if st, body := post(url.Values{"institution_id": {""}, formTokenField: {token}}, "http://evil.example"); st != 403 || !strings.Contains(body, "another site") {
		t.Errorf("restore form from another origin: HTTP %d %q", st, body)
	}
	if st, _ := post(url.Values{"institution_id": {""}, formTokenField: {token}}, v.srv.URL); st != http.StatusSeeOther {
		t.Errorf("restore form from the emulator's own page: HTTP %d, want 303", st)
	}
}

// TestViewsMaskTokens: deliveries.json shows webhook bodies with their public tokens masked.
func TestViewsMaskTokens(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	v.session(t, rc.srv.URL+"/hook", goodLogin)
	f := finishedWith(t, rc.waitFor(t, "SESSION_FINISHED", 1), "SUCCESS")
	pub := f.GetPublicTokens()
	if len(pub) == 0 {
		t.Fatal("no public token in SESSION_FINISHED")
	}
	resp, err := controlGet(v, "/emulator/deliveries.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), pub[0]) {
		t.Errorf("deliveries.json shows the full public token %s", pub[0])
	}
	if !strings.Contains(string(b), mask(pub[0])) {
		t.Errorf("deliveries.json does not show the masked public token %s: %s", mask(pub[0]), b)
	}
	// The Go API still hands tests the real bodies.
	if ds := v.emu.Deliveries(); !strings.Contains(string(ds[len(ds)-1].Body), pub[0]) {
		t.Errorf("Deliveries() lost the real body")
	}
}

// TestPagesSendCSP: Hosted Link and control pages allow no script, only their own stylesheet (by
// hash), and no framing.
func TestPagesSendCSP(t *testing.T) {
	v := newEnv(t, Config{})
	lt := v.linkToken(t, "", "")
	for _, u := range []string{lt.GetHostedLinkUrl(), v.srv.URL + "/emulator", v.srv.URL + "/emulator/inbox", v.srv.URL + "/hosted-link/nope"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'none'", "frame-ancestors 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", u, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP allows unsafe-inline", u)
		}
		css := match(regexp.MustCompile(`(?s)<style>(.*?)</style>`), string(b))
		sum := sha256.Sum256([]byte(css))
		if css == "" || !strings.Contains(csp, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
			t.Errorf("%s: CSP %q does not name the page's stylesheet by hash", u, csp)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", u, resp.Header.Get("X-Frame-Options"))
		}
	}
}

// TestHeadDoesNotStartSession: a link previewer's HEAD must not start (and so use up) the session.
func TestHeadDoesNotStartSession(t *testing.T) {
	v := newEnv(t, Config{})
	lt := v.linkToken(t, "", "")
	resp, err := http.Head(lt.GetHostedLinkUrl())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("HEAD: HTTP %d", resp.StatusCode)
	}
	sessions := func() int {
		got, _, err := v.client.PlaidApi.LinkTokenGet(v.ctx).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest(lt.GetLinkToken())).Execute()
		if err != nil {
			t.Fatal(err)
		}
		return len(got.GetLinkSessions())
	}
	if n := sessions(); n != 0 {
		t.Errorf("HEAD started %d session(s)", n)
	}
	if st, page := getPage(t, v, lt.GetHostedLinkUrl()); st != 200 || stepOf(page) != "select" || sessions() != 1 {
		t.Errorf("GET after HEAD: HTTP %d step %q", st, stepOf(page))
	}
}

// TestFaultDelaysAreBounded: a delay must be 0 to 10 minutes; an overflowing one is refused with
// a message naming the field and the range, not wrapped into a negative or tiny duration.
func TestFaultDelaysAreBounded(t *testing.T) {
	v := newEnv(t, Config{})
	for _, d := range []string{"1e30", "9223372036854775807", "600001", "-1", `"soon"`} {
		for _, p := range []string{"/emulator/faults", "/emulator/webhook_faults"} {
			body := `{"path":"/item/get","delay_ms":` + d + `}`
			if p == "/emulator/webhook_faults" {
				body = `{"delay_ms":` + d + `}`
			}
			st, b := rawPost(t, v, p, body, keys(v))
			if st != 400 || !strings.Contains(string(b), "delay_ms") {
				t.Errorf("%s delay_ms %s: HTTP %d %s, want 400 naming delay_ms", p, d, st, b)
			}
		}
	}
	if st, b := rawPost(t, v, "/emulator/faults", `{"path":"/item/get","delay_ms":600000}`, keys(v)); st != 200 {
		t.Errorf("10-minute delay refused: %d %s", st, b)
	}
	v.emu.ClearFaults()
	if err := v.emu.AddFault(Fault{Path: "/item/get", Delay: 11 * time.Minute}); err == nil {
		t.Error("AddFault accepted an 11-minute delay")
	}
}

// TestStateIsBounded: tokens, sessions and Items that can no longer be used are dropped, so a
// long-running emulator's memory does not grow with every token ever created.
func TestStateIsBounded(t *testing.T) {
	clk := &clock{}
	v := newEnv(t, Config{Now: clk.now})
	rc := newReceiver(t)
	const n = 60
	for i := range n {
		lt := v.linkToken(t, rc.srv.URL+"/hook", "")
		if i%10 == 0 {
			if err := v.emu.CompleteSession(v.ctx, lt.GetHostedLinkUrl(), goodLogin); err != nil {
				t.Fatal(err)
			}
		}
	}
	rc.waitFor(t, "SESSION_FINISHED", n/10)
	// One opt-in waits for its bank: its token must outlive the sweep until the e-mail's link is used.
	waiting := v.linkToken(t, rc.srv.URL+"/hook", "")
	if err := v.emu.CompleteSession(v.ctx, waiting.GetHostedLinkUrl(), Credentials{Username: UserLinkRecovery, Password: PassLinkRecovery}); err != nil {
		t.Fatal(err)
	}
	count := func() (int, int, int, int) {
		v.emu.mu.Lock()
		defer v.emu.mu.Unlock()
		return len(v.emu.linkTokens), len(v.emu.hosted), len(v.emu.publicTokens), len(v.emu.items)
	}
	if lts, hs, _, its := count(); lts != n+1 || hs != n+1 || its != n/10 {
		t.Fatalf("before expiry: %d tokens, %d hosted links, %d items", lts, hs, its)
	}
	clk.advance(LinkTokenLifetime + ExpiredRetention + time.Minute)
	fresh := v.linkToken(t, "", "") // any request sweeps
	lts, hs, pts, its := count()
	if lts != 2 || hs != 1 || pts != 0 || its != 0 {
		t.Errorf("after expiry: %d link tokens, %d hosted links, %d public tokens, %d items; want the fresh token and the opt-in's", lts, hs, pts, its)
	}
	mails, err := v.emu.RestoreInstitution("")
	if err != nil || len(mails) != 1 {
		t.Fatalf("restore after the sweep: %v, %d e-mails; the waiting opt-in was lost", err, len(mails))
	}
	if st, page := getPage(t, v, mails[0].URL); st != 200 || stepOf(page) != "login" {
		t.Errorf("the recovery e-mail's link after the sweep: HTTP %d %q", st, stepOf(page))
	}
	if st, page := getPage(t, v, fresh.GetHostedLinkUrl()); st != 200 || stepOf(page) != "select" {
		t.Errorf("the fresh token's page: HTTP %d %q", st, stepOf(page))
	}
}

// TestWebhookTargetsAreGuarded: /link/token/create refuses link-local addresses and the emulator's
// own address as webhooks, with Plaid's INVALID_FIELD naming webhook; loopback receivers are fine.
func TestWebhookTargetsAreGuarded(t *testing.T) {
	v := newEnv(t, Config{})
	port := v.srv.URL[strings.LastIndex(v.srv.URL, ":")+1:]
	for _, hook := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"http://[fe80::1]:8080/hook",
		v.srv.URL + "/emulator/faults",
		"http://localhost:" + port + "/emulator/faults",
		"http://0.0.0.0:" + port + "/x",
	} {
		req := plaid.NewLinkTokenCreateRequest("App", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("u"))
		req.SetWebhook(hook)
		_, _, err := v.client.PlaidApi.LinkTokenCreate(v.ctx).LinkTokenCreateRequest(*req).Execute()
		if err == nil {
			t.Errorf("webhook %s accepted", hook)
			continue
		}
		if pe := plaidErr(t, err); pe.ErrorCode != "INVALID_FIELD" || !strings.HasPrefix(pe.ErrorMessage, "webhook ") {
			t.Errorf("webhook %s: %+v, want INVALID_FIELD naming webhook", hook, pe)
		}
	}
	rc := newReceiver(t)
	v.linkToken(t, rc.srv.URL+"/hook", "") // loopback on another port: the app's receiver
}

// TestWebhookSenderGuards: the sender follows no redirect (a 307 to another receiver reaches only
// the first), and its dialer refuses link-local addresses and the emulator itself after DNS, which
// the check at /link/token/create cannot see.
func TestWebhookSenderGuards(t *testing.T) {
	v := newEnv(t, Config{WebhookAttempts: 1})
	target := newReceiver(t)
	redirector := newReceiver(t)
	redirector.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.srv.URL+"/stolen", http.StatusTemporaryRedirect)
	})
	v.session(t, redirector.srv.URL+"/hook", goodLogin)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds := v.emu.Deliveries()
		done := len(ds) > 0
		for _, d := range ds {
			done = done && d.State != "pending"
		}
		if done {
			for _, d := range ds {
				if d.State != "failed" || d.StatusCode != http.StatusTemporaryRedirect {
					t.Errorf("delivery to a redirecting receiver: %s HTTP %d, want failed with 307", d.State, d.StatusCode)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries still pending: %+v", ds)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := target.attempts(); n != 0 {
		t.Errorf("the redirect target received %d webhook(s)", n)
	}

	for _, addr := range []string{"169.254.169.254:80", "[fe80::1%lo]:80", "[::ffff:169.254.1.1]:80"} {
		if err := v.emu.dialControl("tcp", addr, nil); err == nil || !strings.Contains(err.Error(), "link-local") {
			t.Errorf("dial %s: %v, want a link-local refusal", addr, err)
		}
	}
	own := v.srv.Listener.Addr().String()
	if err := v.emu.dialControl("tcp", own, nil); err == nil || !strings.Contains(err.Error(), "own address") {
		t.Errorf("dial the emulator itself (%s): %v", own, err)
	}
	if err := v.emu.dialControl("tcp", target.srv.Listener.Addr().String(), nil); err != nil {
		t.Errorf("dial a loopback receiver: %v", err)
	}
	// End to end: a name (localhost) that resolves to the emulator is refused at dial time.
	port := own[strings.LastIndex(own, ":")+1:]
	if _, err := v.emu.post(v.ctx, "http://localhost:"+port+"/emulator/faults", []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "own address") {
		t.Errorf("post to localhost:%s (the emulator): %v, want a dial refusal", port, err)
	}
}

// TestServerLimits: the server NewServer builds drops a client that stalls mid-body within 30 s
// (internal/httpserve's TestStalledBodyIsDropped plays that client against the same constructor),
// and lets a response wait out the longest fault delay.
func TestServerLimits(t *testing.T) {
	srv := NewServer(nil)
	if srv.ReadTimeout <= 0 || srv.ReadTimeout > 30*time.Second || srv.ReadHeaderTimeout <= 0 ||
		srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 || srv.WriteTimeout < MaxFaultDelay {
		t.Fatalf("emulator server limits: read %s header %s idle %s max header %d write %s",
			srv.ReadTimeout, srv.ReadHeaderTimeout, srv.IdleTimeout, srv.MaxHeaderBytes, srv.WriteTimeout)
	}
}

// TestMetadataTargetsAreRefused (issue 15 item 9): the well-known cloud metadata addresses outside
// 169.254.0.0/16, and every IPv6 form that carries a refused IPv4 address, are refused both when
// the token is created and when the sender connects; ordinary and loopback addresses are not.
func TestMetadataTargetsAreRefused(t *testing.T) {
	v := newEnv(t, Config{})
	refused := []string{
		"100.100.100.200",                      // Alibaba Cloud
		"192.0.0.192",                          // Oracle Cloud
		"168.63.129.16",                        // Azure WireServer
		"fd00:ec2::254",                        // AWS IMDS over IPv6
		"fd20:ce::254",                         // Google Cloud over IPv6
		"64:ff9b::169.254.169.254",             // NAT64, well-known prefix
		"64:ff9b::100.100.100.200",             // NAT64 to a metadata address outside link-local
		"64:ff9b:1:a9fe:a9:fe00::",             // local-use NAT64 /48 (RFC 6052 layout) of 169.254.169.254
		"::169.254.169.254",                    // IPv4-compatible
		"::ffff:192.0.0.192",                   // IPv4-mapped
		"2002:a9fe:a9fe::1",                    // 6to4
		"2001:0:4136:e378:8000:63bf:5601:5601", // Teredo whose client is 169.254.169.254
	}
	// The Teredo client address is stored inverted: ^169.254.169.254 = 86.1.86.1 = 5601:5601.
	for _, ip := range refused {
		host := ip
		if strings.Contains(ip, ":") {
			host = "[" + ip + "]"
		}
		req := plaid.NewLinkTokenCreateRequest("App", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("u"))
		req.SetWebhook("http://" + host + ":8080/hook")
		_, _, err := v.client.PlaidApi.LinkTokenCreate(v.ctx).LinkTokenCreateRequest(*req).Execute()
		if err == nil {
			t.Errorf("webhook at %s accepted at token creation", host)
		} else if pe := plaidErr(t, err); pe.ErrorCode != "INVALID_FIELD" || !strings.HasPrefix(pe.ErrorMessage, "webhook ") {
			t.Errorf("webhook at %s: %+v, want INVALID_FIELD naming webhook", host, pe)
		}
		if err := v.emu.dialControl("tcp", net.JoinHostPort(ip, "8080"), nil); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("dial %s: %v, want a refusal", ip, err)
		}
	}
	// Names of metadata services, and the numeric forms a C resolver reads as 169.254.169.254.
	for _, host := range []string{"metadata.google.internal", "2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518"} {
		req := plaid.NewLinkTokenCreateRequest("App", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("u"))
		req.SetWebhook("http://" + host + "/hook")
		if _, _, err := v.client.PlaidApi.LinkTokenCreate(v.ctx).LinkTokenCreateRequest(*req).Execute(); err == nil {
			t.Errorf("webhook at %s accepted at token creation", host)
		}
	}
	for _, ip := range []string{"127.0.0.1", "::1", "::ffff:127.0.0.1", "192.168.1.20", "2001:db8::1", "64:ff9b::8.8.8.8", "fd00:ec3::254"} {
		if err := v.emu.dialControl("tcp", net.JoinHostPort(ip, "8080"), nil); err != nil {
			t.Errorf("dial %s refused: %v", ip, err)
		}
	}
}

// TestKeylessClientCannotRestore (issue 15 item 8): the /emulator pages hand their form token only
// to the control link the emulator printed, so a keyless client (another local program, a LAN
// visitor with --public-host) that reads them and posts their form sends no recovery e-mail.
func TestKeylessClientCannotRestore(t *testing.T) {
	v := newEnv(t, Config{})
	v.session(t, "", bankDown)
	tokenRE := regexp.MustCompile(`name="emulator_form_token" value="([^"]+)"`)
	for _, p := range []string{"/emulator", "/emulator/inbox", "/emulator?control=", "/emulator/inbox?control=wrong"} {
		_, page := getPage(t, v, v.srv.URL+p)
		token := match(tokenRE, page)
		if token != "" {
			t.Errorf("GET %s without the control link hands out the form token", p)
		}
		if !strings.Contains(page, `id="restore-locked"`) {
			t.Errorf("GET %s does not say where the button is", p)
		}
		// What a scraper would then post, as a same-origin form would.
		st, _ := postForm(t, v.srv.URL+"/emulator/institutions/restore", url.Values{"institution_id": {""}, formTokenField: {token}})
		if st != http.StatusForbidden {
			t.Errorf("restore form posted with the token from GET %s: HTTP %d, want 403", p, st)
		}
	}
	if n, inbox := v.emu.OptIns(), v.emu.Inbox(); n != 1 || len(inbox) != 0 {
		t.Fatalf("a keyless client restored: %d opt-in(s) waiting, %d e-mail(s) sent", n, len(inbox))
	}
	// The person at the browser, with the printed control link, can.
	_, page := getPage(t, v, v.emu.ControlURL())
	st, _ := postForm(t, v.srv.URL+"/emulator/institutions/restore", url.Values{"institution_id": {""}, formTokenField: {match(tokenRE, page)}})
	if st != http.StatusSeeOther || len(v.emu.Inbox()) != 1 {
		t.Errorf("restore from the control link's page: HTTP %d, %d e-mail(s)", st, len(v.emu.Inbox()))
	}
}
