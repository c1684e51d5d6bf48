package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"time"

	"golang.org/x/term"
)

// versionLine is what --version prints: the module version and the VCS revision Go stamped into the
// binary (go build in a git checkout), so a bug report names the exact build.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "linkrecovery (no build info: built without module support)"
	}
	return formatVersion(bi)
}

func formatVersion(bi *debug.BuildInfo) string {
	version := bi.Main.Version
	if version == "" {
		version = "(unknown version)"
	}
	rev, when, dirty := "", "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	out := fmt.Sprintf("linkrecovery %s", version)
	switch {
	case rev == "":
		out += " (no VCS revision: built outside a git checkout, or with -buildvcs=false)"
	default:
		out += " revision " + rev
		if dirty {
			out += " (modified)"
		}
		if when != "" {
			out += " from " + when
		}
	}
	return out + ", " + bi.GoVersion
}

// isTerminal says whether w is a terminal the TUI can draw on.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// interfaceAddrs lists this machine's addresses; tests replace it.
var interfaceAddrs = net.InterfaceAddrs

// checkPublicHost makes sure --public-host names an address of this machine: the demo servers
// listen on every local interface, so a phone can only reach them at one of those addresses.
func checkPublicHost(ctx context.Context, host string) error {
	if host == "" {
		return nil
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupIPAddr(rctx, host)
		if err != nil {
			return fmt.Errorf("--public-host %s: cannot resolve that name (%v); give this machine's LAN address instead, e.g. --public-host 192.168.1.20", host, err)
		}
		ips = ips[:0]
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	own, err := interfaceAddrs()
	if err != nil {
		return fmt.Errorf("--public-host %s: cannot list this machine's addresses (%v)", host, err)
	}
	var mine []string
	for _, a := range own {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		mine = append(mine, n.IP.String())
		for _, ip := range ips {
			if ip.Equal(n.IP) {
				return nil
			}
		}
	}
	return fmt.Errorf("--public-host %s is not an address of this machine, so a phone could not reach the demo there; use one of: %v", host, mine)
}
