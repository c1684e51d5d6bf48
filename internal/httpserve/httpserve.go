// Package httpserve builds the http.Servers the app starts (the emulator's and, once it moves here,
// the webhook receiver's) with one set of limits, so a slow or stalled client cannot hold a
// connection, a goroutine and a file descriptor for ever.
package httpserve

import (
	"io"
	"log"
	"net/http"
	"time"
)

// The limits every server gets unless its Limits say otherwise. ReadTimeout covers the headers and
// the whole body, so a client that stalls mid-body is dropped within it (the issue asks for 30 s).
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 64 << 10
)

// Limits are a server's timeouts and header cap. A zero field means the package default above.
type Limits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
}

// New returns a server for h with every limit set. Its ErrorLog discards net/http's connection noise
// (TLS probes, timeouts), which would otherwise tear through a TUI on stderr.
func New(h http.Handler, l Limits) *http.Server {
	def := func(v, d time.Duration) time.Duration {
		if v <= 0 {
			return d
		}
		return v
	}
	maxHeader := l.MaxHeaderBytes
	if maxHeader <= 0 {
		maxHeader = MaxHeaderBytes
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: def(l.ReadHeaderTimeout, ReadHeaderTimeout),
		ReadTimeout:       def(l.ReadTimeout, ReadTimeout),
		WriteTimeout:      def(l.WriteTimeout, WriteTimeout),
		IdleTimeout:       def(l.IdleTimeout, IdleTimeout),
		MaxHeaderBytes:    maxHeader,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
}
