package tunnel

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestLocal(t *testing.T) {
	tun, err := Local("", "")
	if err != nil {
		t.Fatal(err)
	}
	defer tun.Close()
	port := tun.Listener.Addr().(*net.TCPAddr).Port
	if tun.Provider != ProviderLocal || !strings.HasPrefix(tun.URL, "http://127.0.0.1:") ||
		!strings.HasSuffix(tun.WebhookURL(), "/webhook") || !strings.HasSuffix(tun.CompleteURL(), "/complete") ||
		!strings.Contains(tun.URL, ":"+strconv.Itoa(port)) {
		t.Fatalf("%+v", tun)
	}
	lan, err := Local("127.0.0.1:0", "192.168.1.20")
	if err != nil {
		t.Fatal(err)
	}
	defer lan.Close()
	if want := "http://192.168.1.20:" + strconv.Itoa(lan.Listener.Addr().(*net.TCPAddr).Port); lan.URL != want {
		t.Fatalf("URL %s, want %s", lan.URL, want)
	}
	// The port is taken: a clear error naming the address and the next step.
	_, err = Local(tun.Listener.Addr().String(), "")
	var te *Error
	if !errors.As(err, &te) || !strings.Contains(te.Cause, "cannot listen on 127.0.0.1") || !strings.Contains(te.Next, "--listen") {
		t.Fatalf("err %v", err)
	}
	if err := tun.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tun.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestOwn(t *testing.T) {
	tun, err := Own("https://abc.example.com/webhook/", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tun.Close()
	if tun.URL != "https://abc.example.com" || tun.WebhookURL() != "https://abc.example.com/webhook" || tun.Provider != ProviderURL {
		t.Fatalf("%+v", tun)
	}
	sub, err := Own("https://abc.example.com/plaid", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sub.Close()
	if sub.WebhookURL() != "https://abc.example.com/plaid/webhook" {
		t.Fatalf("%s", sub.WebhookURL())
	}
	for _, tc := range []struct{ url, listen, want string }{
		{"", "127.0.0.1:0", "no --webhook-url"},
		{"abc.example.com", "127.0.0.1:0", "not an absolute http(s) URL"},
		{"ftp://abc.example.com", "127.0.0.1:0", "not an absolute http(s) URL"},
		{"https://abc.example.com/?x=1", "127.0.0.1:0", "plain base URL"},
		{"https://abc.example.com", "", "needs --listen"},
		{"https://abc.example.com", "256.1.1.1:80", "cannot listen on 256.1.1.1:80"},
	} {
		_, err := Own(tc.url, tc.listen)
		var te *Error
		if !errors.As(err, &te) || !strings.Contains(te.Cause, tc.want) || te.Next == "" || te.Provider != ProviderURL {
			t.Errorf("Own(%q, %q): %v, want %q", tc.url, tc.listen, err, tc.want)
		}
	}
}
