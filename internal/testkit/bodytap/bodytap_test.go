package bodytap

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The test sees the body as sent, and the client still reads all of it.
func TestSeenAndStillReadable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, `{"path":"`+r.URL.Path+`"}`)
	}))
	defer srv.Close()
	var seen []string
	c := &http.Client{Transport: &Transport{Seen: func(req *http.Request, resp *http.Response, body []byte) {
		seen = append(seen, req.URL.Path+" "+resp.Status+" "+string(body))
	}}}
	resp, err := c.Get(srv.URL + "/item/get")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(got) != `{"path":"/item/get"}` {
		t.Errorf("client read %q, %v", got, err)
	}
	if want := `/item/get 418 I'm a teapot {"path":"/item/get"}`; len(seen) != 1 || seen[0] != want {
		t.Errorf("seen %q, want [%q]", seen, want)
	}
}

// A failed round trip reaches the client as it failed, and nothing is seen.
func TestFailedTripNotSeen(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	called := false
	c := &http.Client{Transport: &Transport{Seen: func(*http.Request, *http.Response, []byte) { called = true }}}
	if _, err := c.Get(url); err == nil || called {
		t.Errorf("dead server: err %v, seen called %v", err, called)
	}
}
