package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/privfile"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// runEmulator serves only the emulator, so a developer can point their own app's Plaid client at it.
// Its first two lines ("base URL …", "client id …") are read by scripts: keep their shape.
func runEmulator(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("linkrecovery emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8790", "`ADDR` to listen on (host:port; port 0 picks a free one)")
	publicURL := fs.String("public-url", "", "base `URL` to put in hosted_link_url and e-mail links (default: http://ADDR)")
	keysFile := fs.String("keys-file", "", "write PLAID_CLIENT_ID and PLAID_SECRET to `FILE` (mode 0600), e.g. for a made-up secret")
	quiet := fs.Bool("quiet", false, "do not log requests and webhook deliveries")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: linkrecovery emulator [--addr ADDR] [--public-url URL] [--keys-file FILE]\n\n"+
			"Serves a local Plaid Sandbox emulator. Keys come from PLAID_CLIENT_ID/PLAID_SECRET when set, else they are made up.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}

	// The emulator hands Logf records it has already made inert (one line, no control byte); the
	// format is never concatenated with the time, so a % in a record cannot be read as a verb.
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	if *quiet {
		logf = nil
	}
	emu, err := emulator.New(emulator.Config{
		ClientID: getenv("PLAID_CLIENT_ID"),
		Secret:   getenv("PLAID_SECRET"),
		Logf:     logf,
	})
	if err != nil {
		fmt.Fprintln(stderr, "linkrecovery emulator:", err)
		return 1
	}
	defer emu.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "linkrecovery emulator: cannot listen on %s: %v (choose another --addr, or port 0 for any free port)\n", *addr, err)
		return 1
	}
	base := strings.TrimRight(*publicURL, "/")
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	emu.SetBaseURL(base)

	if *keysFile != "" {
		keys := fmt.Sprintf("PLAID_CLIENT_ID=%s\nPLAID_SECRET=%s\nPLAID_BASE_URL=%s\n", emu.ClientID(), emu.Secret(), base)
		if err := privfile.Write(*keysFile, []byte(keys)); err != nil {
			fmt.Fprintf(stderr, "linkrecovery emulator: --keys-file: %v\n", err)
			return 1
		}
	}

	fmt.Fprintf(stdout, "base URL   %s\n", base)
	fmt.Fprintf(stdout, "client id  %s\n", emu.ClientID())
	secretFrom := "made up; set PLAID_SECRET to choose it, or use --keys-file"
	if getenv("PLAID_SECRET") != "" {
		secretFrom = "from PLAID_SECRET"
	}
	if *keysFile != "" {
		secretFrom += ", written to " + *keysFile
	}
	fmt.Fprintf(stdout, "secret     %s (%s)\n", secret.Mask(emu.Secret()), secretFrom)
	// The inbox line carries the control link: its page is the only one with the restore button, so
	// only whoever reads this console (the person at the browser) can press it without the keys.
	fmt.Fprintf(stdout, "inbox      %s (the control link: keep it to yourself)\n", emu.ControlURL())

	srv := emulator.NewServer(emu)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
		return 0
	case err := <-errc:
		fmt.Fprintln(stderr, "linkrecovery emulator:", err)
		return 1
	}
}
