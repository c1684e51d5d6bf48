package testkit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// WriteFile writes body to a file called name in a new temporary directory of the test, with
// mode, and returns its path.
func WriteFile(t testing.TB, name, body string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// SymlinkTrap is a symbolic link called name, in a new temporary directory, to a world-readable
// victim file that must never be written through; kept says whether the victim is as it was. The
// test is skipped where there are no symbolic links.
func SymlinkTrap(t testing.TB, name string) (link string, kept func() bool) {
	t.Helper()
	const keep = "keep me\n"
	victim := WriteFile(t, "victim", keep, 0o644)
	link = filepath.Join(filepath.Dir(victim), name)
	if err := os.Symlink(victim, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	return link, func() bool {
		b, err := os.ReadFile(victim)
		return err == nil && string(b) == keep
	}
}

// EchoingProxy is what a misbehaving proxy in front of Plaid does: it answers every request 502
// with a page that holds a terminal control sequence and echoes the request's headers,
// PLAID-SECRET among them. It is closed when the test ends.
func EchoingProxy(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "bad gateway \x1b]2;PWNED\x07 for your request: PLAID-SECRET: %s PLAID-CLIENT-ID: %s\n",
			r.Header.Get("PLAID-SECRET"), r.Header.Get("PLAID-CLIENT-ID"))
		_ = r.Header.Write(w)
	}))
	t.Cleanup(srv.Close)
	return srv
}
