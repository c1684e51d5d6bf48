package env_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// A server at PLAID_BASE_URL that redirects: the client follows no redirect (Plaid's API never
// redirects, and net/http would re-send PLAID-SECRET to the new host) and reports the 3xx as an
// error naming the endpoint.
func TestPlaidClientFollowsNoRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		if r.Header.Get("PLAID-SECRET") != "" {
			t.Errorf("PLAID-SECRET reached the redirect's target")
		}
	}))
	defer other.Close()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		plaid := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path, status)
		}))
		e := testkit.DemoEnv(t, env.Config{ClientID: "client-id-redirect", Secret: "secret-redirect-0123456789abcdef", PlaidURL: plaid.URL})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := e.CreatePollingLinkToken(ctx)
		cancel()
		plaid.Close()
		var ce *flows.CallError
		if !errors.As(err, &ce) || ce.Endpoint != "/link/token/create" || !strings.Contains(err.Error(), "/link/token/create") ||
			!strings.Contains(ce.Cause, "redirect") || !strings.Contains(ce.Cause, "HTTP "+strconv.Itoa(status)) {
			t.Errorf("HTTP %d: err = %v, want a CallError naming the endpoint and the redirect", status, err)
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
}

// An answer larger than any Plaid answer, plain or as a small gzip bomb, is not read past the cap
// (after decompression): the call fails naming the endpoint, and memory stays bounded.
func TestPlaidClientCapsTheAnswer(t *testing.T) {
	const size = 64 << 20 // 8 times the cap
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	chunk := make([]byte, 1<<20)
	for range size / len(chunk) {
		zw.Write(chunk)
	}
	zw.Close()
	t.Logf("gzip bomb: %d KiB for %d MiB", bomb.Len()>>10, size>>20)
	// The server shares the process, so it writes one slice made here: a fresh 1 MiB per write
	// counted in TotalAlloc too, and the TCP buffers let it write several past the cap (CI saw 49 MiB).
	filler := bytes.Repeat([]byte("a"), len(chunk))

	for name, handler := range map[string]http.HandlerFunc{
		"plain": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"link_token":"`))
			for range size / len(chunk) {
				if _, err := w.Write(filler); err != nil {
					return // the client stopped reading
				}
			}
		},
		"gzip bomb": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb.Bytes())
		},
	} {
		t.Run(name, func(t *testing.T) {
			plaid := httptest.NewServer(handler)
			defer plaid.Close()
			e := testkit.DemoEnv(t, env.Config{ClientID: "client-id-big", Secret: "secret-big-0123456789abcdef", PlaidURL: plaid.URL})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := e.CreatePollingLinkToken(ctx)
			runtime.ReadMemStats(&after)
			var ce *flows.CallError
			if !errors.As(err, &ce) || ce.Endpoint != "/link/token/create" || !strings.Contains(ce.Cause, "larger than 8 MiB") {
				t.Errorf("err = %v, want a CallError naming the endpoint and the cap", err)
			}
			// Reading 64 MiB whole allocates well over 100 MiB; the cap keeps it to a few times 8 MiB.
			if got := after.TotalAlloc - before.TotalAlloc; got > 48<<20 {
				t.Errorf("the call allocated %d MiB reading a %d MiB answer", got>>20, size>>20)
			}
		})
	}
}
