// Command linkrecovery walks a developer through testing Plaid's Link Recovery in the Plaid Sandbox,
// or, with no Plaid keys, against a built-in local emulator of the Sandbox that can also finish the
// flow end to end.
//
//	linkrecovery [flags]                  the walk-through (TUI; --no-tui for JSON lines)
//	linkrecovery emulator --addr ADDR     only the emulator, for your own app's Plaid client
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/privfile"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/termbg"
	"github.com/bankdown/linkrecovery/tui"
)

func main() {
	// These end the context: the TUI and the headless run close the tunnel on their way out.
	ctx, stop := signal.NotifyContext(context.Background(), quitSignals...)
	// And should the way out hang, a second signal or quitGrace still ends the process.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, quitSignals...)
	go forceQuit(sigs, time.After, os.Stderr, os.Exit)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// quitSignals end the run cleanly. SIGHUP is closing the terminal window: without it the process
// dies with the ngrok session still open, and the free plan's one session stays taken for the next run.
var quitSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// quitGrace is how long a run may take to end after a signal (relays get 5 s, the receiver 5 s, then
// the tunnel and the emulator close) before the process ends without it.
const quitGrace = 30 * time.Second

// forceQuit ends the process if the run does not end after a signal: at a second signal, or
// quitGrace after the first. (signal.NotifyContext hears only the first one.)
func forceQuit(sigs <-chan os.Signal, after func(time.Duration) <-chan time.Time, stderr io.Writer, exit func(int)) {
	first := <-sigs
	select {
	case sig := <-sigs:
		fmt.Fprintf(stderr, "linkrecovery: %s again: exiting now, without finishing the shutdown\n", sig)
	case <-after(quitGrace):
		fmt.Fprintf(stderr, "linkrecovery: %s, and still running %s later: exiting now\n", first, quitGrace)
	}
	exit(1)
}

// run is main without the process: it returns the exit code, so it can be tested.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "emulator" {
		return runEmulator(ctx, args[1:], getenv, stdout, stderr)
	}
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "linkrecovery:", err)
		return 2
	}
	if opts.version {
		fmt.Fprintln(stdout, versionLine())
		return 0
	}
	if opts.envFileSet {
		// The default .env may be absent (demo mode); a file named on purpose must be there.
		if _, err := os.Stat(opts.envFile); err != nil {
			fmt.Fprintf(stderr, "linkrecovery: --env-file %s: %v; give an existing file, or drop --env-file to use ./.env when present\n", opts.envFile, errors.Unwrap(err))
			return 2
		}
	}
	cfg, err := flows.LoadConfig(getenv, opts.envFile)
	if err != nil {
		fmt.Fprintln(stderr, "linkrecovery:", err)
		return 2
	}
	opts.apply(&cfg)
	// Masked from the first line on: the debug log's start line quotes the arguments.
	secret.Register(cfg.Secrets()...)
	if getenv("LINKRECOVERY_DEBUG") != "" {
		// The TUI owns stdout and headless stdout is JSON, so debug lines go to a file.
		f, err := openDebugLog(debugLogFile)
		if err != nil {
			fmt.Fprintln(stderr, "linkrecovery:", err)
			return 1
		}
		defer f.Close()
		cfg.DebugLog = log.Default()
		log.Printf("start: %s mode, args %q, %s", cfg.Mode(), args, versionLine())
	} else {
		log.SetOutput(io.Discard)
	}
	if opts.auto && cfg.Mode() != flows.ModeDemo {
		fmt.Fprintln(stderr, "linkrecovery: --auto only works in demo mode (the emulator can finish a session by itself; the real Sandbox needs you). Unset PLAID_CLIENT_ID/PLAID_SECRET or drop --auto.")
		return 2
	}
	// Everything the flags say is checked here, so a flag error exits 2 before anything starts.
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "linkrecovery:", err)
		return 2
	}
	if err := checkPublicHost(ctx, opts.publicHost); err != nil {
		fmt.Fprintln(stderr, "linkrecovery:", err)
		return 2
	}
	if opts.webhookURL != "" && cfg.Mode() == flows.ModeDemo {
		fmt.Fprintf(stderr, "linkrecovery: --webhook-url is ignored in demo mode: the emulator delivers its webhooks to the local receiver (on --listen %s) itself.\n", opts.listen)
	}
	if !opts.noTUI && !isTerminal(stdout) {
		fmt.Fprintln(stderr, "linkrecovery: stdout is not a terminal, so there is nowhere to draw the TUI; use --no-tui for JSON lines (e.g. linkrecovery --no-tui --half 2 > run.jsonl)")
		return 2
	}

	var transcript *flows.Transcript
	if opts.transcript != "" {
		if transcript, err = flows.OpenTranscript(opts.transcript); err != nil {
			fmt.Fprintln(stderr, "linkrecovery:", err)
			return 1
		}
		defer transcript.Close()
	}

	env, err := flows.NewEnv(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "linkrecovery:", err)
		return 1
	}
	defer env.Close()

	if opts.noTUI {
		return runHeadless(ctx, env, opts, transcript, stdout, stderr)
	}
	return runTUI(ctx, cfg, env, opts, transcript, getenv, stderr)
}

// runHeadless prints one JSON object per line and exits 0 only when the half passed.
func runHeadless(ctx context.Context, env *flows.Env, opts options, transcript *flows.Transcript, stdout, stderr io.Writer) int {
	half := flows.Half(opts.half)
	if half == 0 {
		half = flows.HalfSession
	}
	// JSONLines masks secrets as the transcript does (by field and by known value); encoding/json
	// escapes control characters, so a hostile string cannot drive the terminal that shows stdout.
	stdoutLine := flows.JSONLines(stdout)
	emit := func(r flows.Record) {
		stdoutLine(r)
		if transcript != nil {
			if err := transcript.Write(r); err != nil {
				fmt.Fprintln(stderr, "linkrecovery: writing transcript:", err)
			}
		}
	}
	if flows.RunHeadless(ctx, env, flows.HalfOptions{Half: half, Auto: opts.auto}, emit) {
		return 0
	}
	return 1
}

func runTUI(ctx context.Context, cfg flows.Config, env *flows.Env, opts options, transcript *flows.Transcript, getenv func(string) string, stderr io.Writer) int {
	// termbg already decided the background before Bubble Tea's init could ask the terminal; a
	// --theme flag refines it.
	if opts.theme != "auto" {
		termbg.Set(opts.theme)
	}

	m := tui.New(tui.Options{
		Context:    ctx,
		Config:     cfg,
		Env:        env,
		Half:       flows.Half(opts.half),
		Auto:       opts.auto,
		Transcript: transcript,
		Background: termbg.Current(),
		DebugLog:   cfg.DebugLog,
	})
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx))
	_, err := p.Run()
	// --forward-to relays still in flight when the TUI ended finish (bounded) and are recorded.
	for _, ev := range env.FinishForwards() {
		if rec := flows.ForwardRecord(ev); rec != nil {
			if werr := transcript.Write(rec); werr != nil {
				fmt.Fprintln(stderr, "linkrecovery: writing transcript:", werr)
			}
		}
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		fmt.Fprintln(stderr, "linkrecovery:", err)
		return 1
	}
	return 0
}

// debugLogFile is where LINKRECOVERY_DEBUG logs go, in the working directory.
const debugLogFile = "linkrecovery-debug.log"

// openDebugLog points the standard logger at path, as tea.LogToFile would, but owner-only, never
// through a symlink, and through flows.DebugLogWriter: one inert line per record, every known
// secret masked.
func openDebugLog(path string) (io.Closer, error) {
	f, err := privfile.Append(path)
	if err != nil {
		return nil, fmt.Errorf("LINKRECOVERY_DEBUG: cannot open the debug log %s: %w", path, err)
	}
	log.SetOutput(flows.DebugLogWriter(f))
	log.SetPrefix("linkrecovery ")
	return f, nil
}

// options are the command-line flags of the walk-through.
type options struct {
	half              int
	noTUI             bool
	auto              bool
	transcript        string
	envFile           string
	theme             string
	webhookURL        string
	listen            string
	forwardTo         string
	forwardUnverified bool
	onlyPlaidIPs      bool
	publicHost        string
	redirectURI       string
	webhookTimeout    time.Duration
	tunnelTimeout     time.Duration
	version           bool
	envFileSet        bool // --env-file was given, so the file must exist
	products          string
}

// durationFlag is a duration flag whose parse error says how to write one (flag's own says only
// "parse error"); flag puts the flag's name in front of it.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration; write it like 90s, 3m or 1m30s", s)
	}
	*f.d = d
	return nil
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("linkrecovery", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.half, "half", 0, "open half `N` directly and create its token (1: sign-up, 2: session); default: the home screen")
	fs.BoolVar(&o.noTUI, "no-tui", false, "run headless: one JSON object per line on stdout; exit 0 only if the half passed")
	fs.BoolVar(&o.auto, "auto", false, "demo mode only: complete the Hosted Link session(s) without a browser")
	fs.StringVar(&o.transcript, "transcript", "", "record the run as JSON lines in `FILE` (mode 0600)")
	fs.StringVar(&o.envFile, "env-file", ".env", "read PLAID_* and NGROK_AUTHTOKEN from this `FILE` when not in the environment")
	fs.StringVar(&o.theme, "theme", "auto", "terminal background: auto (from COLORFGBG, else colours that read on any background), dark or light")
	fs.StringVar(&o.webhookURL, "webhook-url", "", "your own public `URL` (e.g. your own tunnel) forwarding to --listen, instead of ngrok")
	fs.StringVar(&o.listen, "listen", "", "`ADDR` the webhook receiver listens on (with --webhook-url)")
	fs.StringVar(&o.forwardTo, "forward-to", "", "relay each verified webhook, body and Plaid-Verification header, to your app at `URL` (refused ones are listed, not relayed)")
	fs.BoolVar(&o.forwardUnverified, "forward-unverified", false, "with --forward-to: relay every webhook, verified or not (to test your own handler's verification)")
	fs.BoolVar(&o.onlyPlaidIPs, "only-plaid-ips", false, "accept /webhook only from Plaid's documented webhook addresses (ngrok tunnel only); /complete stays open for the phone")
	fs.StringVar(&o.publicHost, "public-host", "", "demo mode: listen on all interfaces and build URLs with `HOST` (e.g. your LAN address) so a phone can scan the QR code")
	fs.StringVar(&o.redirectURI, "redirect-uri", "", "completion_redirect_uri for Hosted Link (default: the receiver's /complete page)")
	o.webhookTimeout, o.tunnelTimeout = flows.DefaultWebhookTimeout, flows.DefaultTunnelDeadline
	fs.Var(durationFlag{&o.webhookTimeout}, "webhook-timeout", "once /link/token/get shows the session finished, how long to wait for SESSION_FINISHED before falling back to /link/token/get")
	fs.Var(durationFlag{&o.tunnelTimeout}, "tunnel-timeout", "how long to try to open the ngrok tunnel")
	fs.BoolVar(&o.version, "version", false, "print the version and VCS revision, and exit")
	fs.StringVar(&o.products, "products", strings.Join(flows.DefaultProducts, ","), "the link token's Plaid `LIST` of products, comma-separated (auth, as in Plaid's Hosted Link sample, keeps later TRANSACTIONS webhooks away from your webhook URL)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage:\n  linkrecovery [flags]               walk through both halves of Link Recovery testing\n  linkrecovery emulator --addr ADDR  run only the local Plaid Sandbox emulator\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nEnvironment: PLAID_CLIENT_ID, PLAID_SECRET (both set: real Sandbox; else demo), PLAID_ENV (sandbox only),\nPLAID_BASE_URL (point at an emulator), NGROK_AUTHTOKEN, LINKRECOVERY_DEBUG (log to linkrecovery-debug.log).\n")
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "env-file" {
			o.envFileSet = true
		}
	})
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--webhook-timeout", o.webhookTimeout}, {"--tunnel-timeout", o.tunnelTimeout}} {
		if d.v <= 0 {
			return o, fmt.Errorf("%s must be longer than zero, not %s (e.g. %s 90s)", d.name, d.v, d.name)
		}
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (run with -h for help)", fs.Arg(0))
	}
	if o.half < 0 || o.half > 2 {
		return o, fmt.Errorf("--half must be 1 (sign-up) or 2 (session), not %d", o.half)
	}
	switch o.theme {
	case "auto", "dark", "light":
	default:
		return o, fmt.Errorf("--theme must be auto, dark or light, not %q", o.theme)
	}
	if _, err := flows.ParseProducts(o.products); err != nil {
		return o, err
	}
	if (o.webhookURL == "") != (o.listen == "") {
		return o, errors.New("--webhook-url and --listen go together: your tunnel's public URL, and the local address it forwards to")
	}
	return o, nil
}

// apply copies the flags that belong to the flows' configuration.
func (o options) apply(c *flows.Config) {
	c.WebhookURL = o.webhookURL
	c.Listen = o.listen
	c.ForwardTo = o.forwardTo
	c.ForwardUnverified = o.forwardUnverified
	c.OnlyPlaidIPs = o.onlyPlaidIPs
	c.PublicHost = o.publicHost
	c.RedirectURI = o.redirectURI
	c.WebhookTimeout = o.webhookTimeout
	c.TunnelDeadline = o.tunnelTimeout
	c.Products, _ = flows.ParseProducts(o.products) // checked by parseFlags
}
