package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/report"
	"github.com/bankdown/linkrecovery/internal/runreport"
	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/termbg"
	"github.com/bankdown/linkrecovery/tui"
)

// newRootCmd is `linkrecovery`: the walk-through, in the TUI or (--no-tui) as JSON lines. runF,
// when not nil, gets the parsed and checked flags instead of running anything (for tests).
func newRootCmd(p *process, runF func(*options) error) *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "linkrecovery",
		Short: "Test Plaid's Link Recovery in the Plaid Sandbox from start to finish",
		Long: `linkrecovery walks you through testing Plaid's Link Recovery in the Plaid Sandbox, in two halves:
half 1 (sign-up: the bank is down, the user opts in to the recovery e-mail) and half 2 (session: a
Hosted Link session ends in a SESSION_FINISHED webhook, whose public token is exchanged), and
other scenarios on the same core (leave: the user leaves Link, nothing may be exchanged).

With PLAID_CLIENT_ID and PLAID_SECRET set, in the environment or in --env-file, it drives the real
Sandbox; without them it runs a demo against a built-in emulator of the Sandbox on 127.0.0.1.
'linkrecovery help environment' lists every variable it reads.`,
		Example: `  linkrecovery                            # the TUI, from its home screen
  linkrecovery --scenario session         # the TUI, straight into half 2 (the session)
  linkrecovery --no-tui --half 2 --auto   # headless demo: JSON lines on stdout, exit 0 if it passed
  linkrecovery emulator --addr 127.0.0.1:8790 --keys-file .env.emulator`,
		Version: versionLine(),
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o.envFileSet = c.Flags().Changed("env-file")
			if err := o.check(); err != nil {
				return err
			}
			return runOrHand(o, runF, func() int { return walkThrough(c.Context(), *o, p.args, p.getenv, p.stdout, p.stderr) })
		},
	}
	cmd.SetVersionTemplate("{{.Version}}\n")
	o.addFlags(cmd.Flags())
	completeFlag(cmd, "half", "1\tsign-up", "2\tsession")
	completeFlag(cmd, "scenario", scenarioNames()...)
	completeFlag(cmd, "theme", themes...)
	_ = cmd.MarkFlagFilename("transcript")
	_ = cmd.MarkFlagFilename("report", "md")
	_ = cmd.MarkFlagFilename("env-file")
	return cmd
}

// addFlags declares every flag of the walk-through, in the order --help lists them. --help, the
// README's flag list and docs/cli.md are all made from these lines.
func (o *options) addFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.half, "half", 0, "open half `N` of Link Recovery at once and create its token: 1 (sign-up) or 2 (session), the first two scenarios")
	fs.StringVar(&o.scenario, "scenario", "", "open the scenario `NAME` at once and create its token: "+strings.Join(scenarioNames(), ", ")+"; default: the home screen, or session with --no-tui")
	fs.BoolVar(&o.noTUI, "no-tui", false, "run headless, needing no terminal: one JSON object per line on stdout; exit 0 only if the scenario passed")
	fs.BoolVar(&o.auto, "auto", false, "demo mode only: complete the Hosted Link session(s) without a browser")
	fs.StringVar(&o.transcript, "transcript", "", "record the run as JSON lines in `FILE` (mode 0600; a symbolic link there is refused)")
	fs.StringVar(&o.report, "report", "", "write a Markdown report of the run to `FILE` when it ends (mode 0600; a symbolic link there is refused)")
	fs.StringVar(&o.envFile, "env-file", ".env", "read PLAID_* and NGROK_AUTHTOKEN from `FILE` when not in the environment")
	fs.StringVar(&o.theme, "theme", "auto", "terminal background `THEME`: auto (from COLORFGBG, else colours that read on any background), dark or light")
	fs.StringVar(&o.webhookURL, "webhook-url", "", "your own public `URL` (e.g. your own tunnel) forwarding to --listen, instead of ngrok")
	fs.StringVar(&o.listen, "listen", "", "`ADDR` the webhook receiver listens on (with --webhook-url)")
	fs.StringVar(&o.forwardTo, "forward-to", "", "relay each verified webhook, body and Plaid-Verification header, to your app at `URL` (refused ones are listed, not relayed)")
	fs.BoolVar(&o.forwardUnverified, "forward-unverified", false, "with --forward-to: relay every webhook, verified or not (to test your own handler's verification)")
	fs.BoolVar(&o.onlyPlaidIPs, "only-plaid-ips", false, "accept /webhook only from Plaid's documented webhook addresses (ngrok tunnel only); /complete stays open for the phone")
	fs.StringVar(&o.publicHost, "public-host", "", "demo mode: listen on all interfaces and build URLs with `HOST` (e.g. your LAN address) so a phone can scan the QR code")
	fs.StringVar(&o.redirectURI, "redirect-uri", "", "the completion_redirect_uri `URL` for Hosted Link (default: the receiver's /complete page)")
	o.webhookTimeout, o.tunnelTimeout = flows.DefaultWebhookTimeout, env.DefaultTunnelDeadline
	fs.Var(durationFlag{&o.webhookTimeout}, "webhook-timeout", "wait `DURATION` for SESSION_FINISHED once /link/token/get shows the session finished, then fall back to /link/token/get")
	fs.Var(durationFlag{&o.tunnelTimeout}, "tunnel-timeout", "give up opening the ngrok tunnel after `DURATION`")
	fs.StringVar(&o.products, "products", strings.Join(env.DefaultProducts, ","), "the link token's Plaid products, a comma-separated `LIST`; auth, as in Plaid's Hosted Link sample, keeps later TRANSACTIONS webhooks away from your webhook URL")
	fs.Bool("version", false, "print the version and VCS revision, and exit") // cobra prints it (Version)
}

// themes are --theme's values.
var themes = []string{"auto", "dark", "light"}

// scenarioNames are --scenario's names, in menu order: flows.Scenarios'.
func scenarioNames() []string { return flows.Names() }

// check tells a flag mistake (a usage error) before anything starts, and turns --half into the
// scenario it names.
func (o *options) check() error {
	if o.half != 0 {
		sc, ok := flows.ByHalf(o.half)
		switch {
		case !ok:
			return usagef("--half must be 1 (sign-up) or 2 (session), not %d", o.half)
		case o.scenario != "" && o.scenario != sc.Info().Name:
			return usagef("--half %d is the scenario %s, but --scenario says %s: give one of them", o.half, sc.Info().Name, o.scenario)
		}
		o.scenario = sc.Info().Name
	}
	if _, ok := flows.Lookup(o.scenario); o.scenario != "" && !ok {
		return usagef("--scenario must be one of %s, not %q", strings.Join(scenarioNames(), ", "), o.scenario)
	}
	if !slices.Contains(themes, o.theme) {
		return usagef("--theme must be auto, dark or light, not %q", o.theme)
	}
	if _, err := env.ParseProducts(o.products); err != nil {
		return &usageError{err: err}
	}
	if (o.webhookURL == "") != (o.listen == "") {
		return usagef("--webhook-url and --listen go together: your tunnel's public URL, and the local address it forwards to")
	}
	return nil
}

// walkThrough runs the walk-through with checked flags and returns the exit code.
func walkThrough(ctx context.Context, opts options, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if opts.envFileSet {
		// The default .env may be absent (demo mode); a file named on purpose must be there.
		if _, err := os.Stat(opts.envFile); err != nil {
			fmt.Fprintf(stderr, "linkrecovery: --env-file %s: %v; give an existing file, or drop --env-file to use ./.env when present\n", opts.envFile, errors.Unwrap(err))
			return 2
		}
	}
	cfg, err := env.LoadConfig(getenv, opts.envFile)
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
	if opts.report != "" {
		if err := report.Prepare(opts.report); err != nil {
			fmt.Fprintln(stderr, "linkrecovery: --report:", err)
			return 2
		}
	}

	world, err := env.New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "linkrecovery:", err)
		return 1
	}
	defer world.Close()

	if opts.noTUI {
		return runHeadless(ctx, world, opts, transcript, stdout, stderr)
	}
	return runTUI(ctx, cfg, world, opts, transcript, getenv, stderr)
}

// runHeadless prints one JSON object per line and exits 0 only when the scenario passed.
func runHeadless(ctx context.Context, world *env.Env, opts options, transcript *flows.Transcript, stdout, stderr io.Writer) int {
	scenario := opts.scenario
	if scenario == "" {
		scenario = flows.SessionScenario{}.Info().Name
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
	ro := env.RunOptions{Scenario: scenario, Auto: opts.auto}
	if opts.report != "" {
		// Page by page, so the report shows each Hosted Link page the emulator walks.
		b := runreport.New(scenario)
		ro.OnEvent, ro.PageByPage, emit = b.Add, opts.auto, headlessReport(opts.report, b, emit, stderr)
	}
	if env.RunHeadless(ctx, world, ro, emit) {
		return 0
	}
	return 1
}

func runTUI(ctx context.Context, cfg env.Config, world *env.Env, opts options, transcript *flows.Transcript, getenv func(string) string, stderr io.Writer) int {
	// termbg already decided the background before Bubble Tea's init could ask the terminal; a
	// --theme flag refines it.
	if opts.theme != "auto" {
		termbg.Set(opts.theme)
	}

	m := tui.New(tui.Options{
		Context:        ctx,
		Config:         cfg,
		Env:            world,
		Scenario:       opts.scenario,
		Auto:           opts.auto,
		Transcript:     transcript,
		TranscriptPath: opts.transcript,
		ReportPath:     opts.report,
		Background:     termbg.Current(),
		DebugLog:       cfg.DebugLog,
	})
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx))
	final, err := p.Run()
	if opts.report != "" {
		if run, ok := tui.FinalReport(final); ok {
			writeReport(opts.report, run, nil, stderr)
		} else {
			fmt.Fprintf(stderr, "linkrecovery: --report: no scenario ran, so %s is empty\n", opts.report)
		}
	}
	// --forward-to relays still in flight when the TUI ended finish (bounded) and are recorded.
	for _, ev := range world.FinishForwards() {
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

// options are the command-line flags of the walk-through.
type options struct {
	half              int
	scenario          string // --scenario, or the scenario --half names (check)
	noTUI             bool
	auto              bool
	transcript        string
	report            string
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
	envFileSet        bool // --env-file was given, so the file must exist
	products          string
}

// durationFlag is a duration flag, longer than zero, whose parse error says how to write one
// (pflag's own quotes time.ParseDuration); flagError puts the flag's name in front of it.
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
	if d <= 0 {
		return fmt.Errorf("must be longer than zero, not %s; write it like 90s, 3m or 1m30s", d)
	}
	*f.d = d
	return nil
}

// Type is the placeholder pflag would show if the usage named none.
func (durationFlag) Type() string { return "duration" }

// apply copies the flags that belong to the flows' configuration.
func (o options) apply(c *env.Config) {
	c.WebhookURL = o.webhookURL
	c.Listen = o.listen
	c.ForwardTo = o.forwardTo
	c.ForwardUnverified = o.forwardUnverified
	c.OnlyPlaidIPs = o.onlyPlaidIPs
	c.PublicHost = o.publicHost
	c.RedirectURI = o.redirectURI
	c.WebhookTimeout = o.webhookTimeout
	c.TunnelDeadline = o.tunnelTimeout
	c.Products, _ = env.ParseProducts(o.products) // checked by check
}
