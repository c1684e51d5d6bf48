// Package httpserve builds the http.Servers the app starts (the emulator's and, once it moves here,
// the webhook receiver's) with one set of limits, so a slow or stalled client cannot hold a
// connection, a goroutine and a file descriptor for ever.
package httpserve

import (
	"io"
	"log"
	"net/http"
	"time"

	"github.com/bankdown/linkrecovery/internal/positive"
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
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: positive.Or(l.ReadHeaderTimeout, ReadHeaderTimeout),
		ReadTimeout:       positive.Or(l.ReadTimeout, ReadTimeout),
		WriteTimeout:      positive.Or(l.WriteTimeout, WriteTimeout),
		IdleTimeout:       positive.Or(l.IdleTimeout, IdleTimeout),
		MaxHeaderBytes:    positive.Or(l.MaxHeaderBytes, MaxHeaderBytes),
		ErrorLog:          log.New(io.Discard, "", 0),
	}
}
