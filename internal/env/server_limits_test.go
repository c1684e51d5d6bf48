package env

import (
	"context"
	"testing"
	"time"
)

// TestDemoEmulatorServerHasLimits: the demo emulator's server (reachable from the LAN with
// --public-host) drops slow clients: read, write and idle timeouts and a header cap are all set,
// and a stalled body is dropped within 30 s. (emulator.TestServerDropsStalledBody plays the
// stalled client against the same constructor.)
func TestDemoEmulatorServerHasLimits(t *testing.T) {
	env, err := New(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	srv := env.emuServer
	if srv.ReadTimeout <= 0 || srv.ReadTimeout > 30*time.Second || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 ||
		srv.ReadHeaderTimeout <= 0 || srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("demo emulator server: read %s write %s idle %s header %s max header %d",
			srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.ReadHeaderTimeout, srv.MaxHeaderBytes)
	}
}
