package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/privfile"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// emulatorOptions are the flags of `linkrecovery emulator`.
type emulatorOptions struct {
	addr      string
	publicURL string
	keysFile  string
	quiet     bool
}

// newEmulatorCmd is `linkrecovery emulator`. runF, when not nil, gets the parsed flags instead of
// serving anything (for tests).
func newEmulatorCmd(p *process, runF func(*emulatorOptions) error) *cobra.Command {
	o := &emulatorOptions{}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Serve only the local Plaid Sandbox emulator, for your own app's Plaid client",
		Long: `Serves a local emulator of the Plaid Sandbox: the Plaid API in Plaid's shapes, the Hosted Link
pages, signed webhooks, the recovery inbox and fault injection. Keys come from PLAID_CLIENT_ID and
PLAID_SECRET when set, else they are made up.

Its first two lines, "base URL ..." and "client id ...", are for scripts to read; the secret is
only ever printed masked (--keys-file writes it in full, to a file only you can read).`,
		Example: `  linkrecovery emulator --addr 127.0.0.1:8790 --keys-file .env.emulator
  linkrecovery emulator --addr 127.0.0.1:0 --quiet   # any free port; read it from the first line`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runOrHand(o, runF, func() int { return serveEmulator(c.Context(), *o, p.getenv, p.stdout, p.stderr) })
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8790", "`ADDR` to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&o.publicURL, "public-url", "", "base `URL` to put in hosted_link_url and e-mail links (default: http://ADDR)")
	fs.StringVar(&o.keysFile, "keys-file", "", "write PLAID_CLIENT_ID, PLAID_SECRET and PLAID_BASE_URL to `FILE` (mode 0600), e.g. for a made-up secret")
	fs.BoolVar(&o.quiet, "quiet", false, "do not log requests and webhook deliveries")
	_ = cmd.MarkFlagFilename("keys-file")
	return cmd
}

// serveEmulator serves only the emulator, so a developer can point their own app's Plaid client at it.
// Its first two lines ("base URL …", "client id …") are read by scripts: keep their shape.
func serveEmulator(ctx context.Context, o emulatorOptions, getenv func(string) string, stdout, stderr io.Writer) int {
	// The emulator hands Logf records it has already made inert (one line, no control byte); the
	// format is never concatenated with the time, so a % in a record cannot be read as a verb.
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	if o.quiet {
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

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		fmt.Fprintf(stderr, "linkrecovery emulator: cannot listen on %s: %v (choose another --addr, or port 0 for any free port)\n", o.addr, err)
		return 1
	}
	base := strings.TrimRight(o.publicURL, "/")
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	emu.SetBaseURL(base)

	if o.keysFile != "" {
		if err := writeKeysFile(o.keysFile, emu, base); err != nil {
			ln.Close() // the port is free the moment the emulator says it will not run
			fmt.Fprintf(stderr, "linkrecovery emulator: --keys-file: %v\n", err)
			return 1
		}
	}

	fmt.Fprintf(stdout, "base URL   %s\n", base)
	fmt.Fprintf(stdout, "client id  %s\n", emu.ClientID())
	secretFrom := secretSource(getenv)
	if o.keysFile != "" {
		secretFrom += ", written to " + o.keysFile
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

// secretSource says where the secret of an emulator made from the environment came from (emulator
// and audit).
func secretSource(getenv func(string) string) string {
	if getenv("PLAID_SECRET") != "" {
		return "from PLAID_SECRET"
	}
	return "made up; set PLAID_SECRET to choose it, or use --keys-file"
}

// writeKeysFile writes the emulator's keys and base URL, as an app's .env would hold them, to a
// file only its owner can read (--keys-file of emulator and audit).
func writeKeysFile(path string, emu *emulator.Emulator, base string) error {
	keys := fmt.Sprintf("PLAID_CLIENT_ID=%s\nPLAID_SECRET=%s\nPLAID_BASE_URL=%s\n", emu.ClientID(), emu.Secret(), base)
	// privfile refuses a FIFO (or anything but a regular file) at once rather than block here.
	return privfile.Write(path, []byte(keys))
}
