package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/emulator/audit"
	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/report"
	"github.com/bankdown/linkrecovery/internal/runreport"
	"github.com/bankdown/linkrecovery/internal/sanitize"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// auditOptions are the flags of `linkrecovery audit`.
type auditOptions struct {
	target       string
	emulatorAddr string
	emulatorURL  string
	addrSet      bool // --emulator-addr was given
	keysFile     string
	only         string
	cases        []string // --only, split and checked
	timeout      time.Duration
	wait         time.Duration
	json         bool
	report       string // --report FILE: the Markdown report of the audit
}

// defaultAuditWait is how long the audit waits for the target to answer at all before it gives up:
// long enough for an app started beside it in CI to come up.
const defaultAuditWait = 30 * time.Second

// newAuditCmd is `linkrecovery audit`. runF, when not nil, gets the parsed and checked flags
// instead of running anything (for tests).
func newAuditCmd(p *process, runF func(*auditOptions) error) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Grade your own webhook handler: does it verify, dedupe and exchange as Plaid requires?",
		Long: `Sends your app's webhook handler at --target genuine and forged Link webhooks, signed by a
built-in emulator of the Plaid Sandbox that your app's Plaid client points at, and grades each case
by what the handler answered and by which public tokens it then exchanged at the emulator. Each
case that fails says why it matters and the fix (docs/audit.md).

The emulator listens on --emulator-addr with the keys from PLAID_CLIENT_ID and PLAID_SECRET when
set, else made-up ones (--keys-file writes them for your app to read); --emulator uses one that
linkrecovery emulator already serves instead. The audit then waits up to --wait for the target to
answer at all, and runs the cases.

Exit status: 0 when no case failed, 1 when one did, 2 for a mistake on the command line, an
emulator it cannot listen on or reach, or a target that never answered. With --json the output is JSON lines: a ready record, a case record
per case and a done record.`,
		Example: `  linkrecovery audit --target http://127.0.0.1:3000/plaid/webhook
  linkrecovery audit --target http://127.0.0.1:3000/plaid/webhook --emulator-addr 127.0.0.1:8790 --keys-file .env.audit
  linkrecovery audit --target http://127.0.0.1:3000/plaid/webhook --only genuine,alg_none --json`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o.addrSet = c.Flags().Changed("emulator-addr")
			if err := o.check(); err != nil {
				return err
			}
			return runOrHand(o, runF, func() int { return runAudit(c.Context(), *o, p.getenv, p.stdout, p.stderr) })
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.target, "target", "", "your webhook handler's `URL`, where the audit POSTs webhooks (required)")
	fs.StringVar(&o.emulatorAddr, "emulator-addr", "127.0.0.1:0", "`ADDR` the audit's emulator listens on, for your app's Plaid client (port 0 picks a free one)")
	fs.StringVar(&o.emulatorURL, "emulator", "", "use the emulator already running at `URL` (linkrecovery emulator), with its keys from PLAID_CLIENT_ID and PLAID_SECRET or .env, instead of starting one")
	fs.StringVar(&o.keysFile, "keys-file", "", "write PLAID_CLIENT_ID, PLAID_SECRET and PLAID_BASE_URL to `FILE` (mode 0600) for your app to read")
	fs.StringVar(&o.only, "only", "", "run only the cases in `LIST`, comma-separated: "+strings.Join(audit.CaseIDs(), ", "))
	o.timeout, o.wait = audit.DefaultTimeout, defaultAuditWait
	fs.Var(durationFlag{&o.timeout}, "timeout", "fail a case whose answer takes longer than `DURATION` (Plaid's own limit is 10s)")
	fs.Var(durationFlag{&o.wait}, "wait", "wait `DURATION` for the target to answer at all before giving up (exit 2)")
	fs.StringVar(&o.report, "report", "", "write the audit as a Markdown report to `FILE` (mode 0600): each case, its verdict and fix, and the webhooks sent")
	fs.BoolVar(&o.json, "json", false, "print JSON lines instead of a checklist: ready, one case record per case, done")
	_ = cmd.MarkFlagFilename("keys-file")
	_ = cmd.MarkFlagFilename("report", "md")
	completeFlag(cmd, "only", audit.CaseIDs()...)
	return cmd
}

// check tells a flag mistake (a usage error) before anything starts.
func (o *auditOptions) check() error {
	if o.target == "" {
		return usagef("--target is required: your webhook handler's URL, e.g. --target http://127.0.0.1:3000/plaid/webhook")
	}
	u, err := url.Parse(o.target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--target must be an http or https URL with a host, such as http://127.0.0.1:3000/plaid/webhook, not %q", o.target)
	}
	if o.emulatorURL != "" {
		if u, err := url.Parse(o.emulatorURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--emulator must be the base URL linkrecovery emulator printed, such as http://127.0.0.1:8790, not %q", o.emulatorURL)
		}
		if o.addrSet || o.keysFile != "" {
			return usagef("--emulator uses a running emulator: --emulator-addr and --keys-file are for the one the audit starts itself; give one or the other")
		}
	}
	o.cases = nil
	if o.only != "" {
		for _, id := range strings.Split(o.only, ",") {
			id = strings.TrimSpace(id)
			if !slices.Contains(audit.CaseIDs(), id) {
				return usagef("--only: no case %q; the cases are %s", id, strings.Join(audit.CaseIDs(), ", "))
			}
			if !slices.Contains(o.cases, id) {
				o.cases = append(o.cases, id)
			}
		}
	}
	return nil
}

// auditSetup is what the ready record and the checklist's header show.
type auditSetup struct {
	target, baseURL, clientID, secret, secretFrom, keysFile string
	cases                                                   []string
	wait                                                    time.Duration
}

// auditOutput renders the audit's facts: a checklist for a person, JSON lines for a script.
type auditOutput interface {
	ready(s auditSetup)
	caseDone(c audit.CaseResult)
	done(r audit.Result)
	failed(step, message, hint string)
	reported(rec flows.Record) // writeReport's record: the report written, or why not
}

// runAudit starts the emulator, waits for the target and runs the cases; it returns the exit code.
func runAudit(ctx context.Context, o auditOptions, getenv func(string) string, stdout, stderr io.Writer) int {
	var out auditOutput = &auditChecklist{w: stdout}
	if o.json {
		out = auditJSON{emit: flows.JSONLines(stdout)}
	}
	fail := func(code int, step, message, hint string) int {
		fmt.Fprintf(stderr, "linkrecovery audit: %s; %s\n", sanitize.Text(secret.Scrub(message)), hint)
		if o.json {
			out.failed(step, message, hint)
		}
		return code
	}

	started := time.Now()
	if o.report != "" {
		if err := report.Prepare(o.report); err != nil {
			return fail(2, "report", "--report: "+err.Error(), "pick a writable path for --report and run again")
		}
	}

	transport := http.DefaultTransport.(*http.Transport).Clone()
	defer transport.CloseIdleConnections()
	hc := &http.Client{Transport: transport}

	setup := auditSetup{target: o.target, keysFile: o.keysFile, cases: o.cases, wait: o.wait}
	if setup.cases == nil {
		setup.cases = audit.CaseIDs()
	}
	var backend audit.Backend
	if o.emulatorURL != "" {
		keys, err := env.LoadConfig(getenv, ".env")
		if err != nil {
			return fail(2, "emulator", err.Error(), "fix .env, or set PLAID_CLIENT_ID and PLAID_SECRET in the environment")
		}
		if keys.ClientID == "" || keys.Secret == "" {
			return fail(2, "emulator", "--emulator needs that emulator's keys",
				"set PLAID_CLIENT_ID and PLAID_SECRET (or put them in .env) as the emulator printed them; its --keys-file writes them")
		}
		secret.Register(keys.Secret)
		remote := audit.NewRemote(o.emulatorURL, keys.ClientID, keys.Secret, &http.Client{Transport: transport, Timeout: 30 * time.Second})
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = remote.Check(cctx)
		cancel()
		if err != nil {
			return fail(2, "emulator", "--emulator: "+err.Error(),
				"start it with linkrecovery emulator, check the URL, and give its keys in PLAID_CLIENT_ID and PLAID_SECRET")
		}
		backend = remote
		setup.secretFrom = "from " + keys.KeysFrom
	} else {
		emu, err := emulator.New(emulator.Config{ClientID: getenv("PLAID_CLIENT_ID"), Secret: getenv("PLAID_SECRET")})
		if err != nil {
			return fail(1, "emulator", err.Error(), "check PLAID_CLIENT_ID and PLAID_SECRET")
		}
		defer emu.Close()
		secret.Register(emu.Secret())

		ln, err := net.Listen("tcp", o.emulatorAddr)
		if err != nil {
			return fail(2, "emulator", fmt.Sprintf("cannot listen on --emulator-addr %s: %v", o.emulatorAddr, err),
				"choose another --emulator-addr, or port 0 for any free port")
		}
		base := "http://" + ln.Addr().String()
		emu.SetBaseURL(base)
		if o.keysFile != "" {
			if err := writeKeysFile(o.keysFile, emu, base); err != nil {
				ln.Close()
				return fail(1, "keys_file", fmt.Sprintf("--keys-file: %v", err), "give a path to a regular file you can write")
			}
		}
		srv := emulator.NewServer(emu)
		go func() { _ = srv.Serve(ln) }()
		defer func() {
			shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdown)
		}()
		backend = emu
		setup.secretFrom = secretSource(getenv)
	}
	setup.baseURL, setup.clientID, setup.secret = backend.BaseURL(), backend.ClientID(), secret.Mask(backend.Secret())
	out.ready(setup)

	if err := audit.WaitForTarget(ctx, hc, o.target, o.wait); err != nil {
		if ctx.Err() != nil {
			return fail(1, "target", "interrupted while waiting for --target to answer", "nothing was sent")
		}
		return fail(2, "target", "--target "+err.Error(), "start your app first, check the --target URL, or give it longer with --wait")
	}

	res, err := audit.Run(ctx, audit.Config{Target: o.target, Emulator: backend, Only: o.cases, Timeout: o.timeout,
		HTTPClient: hc, OnCase: out.caseDone})
	if err != nil {
		if ctx.Err() != nil {
			return fail(1, "audit", "interrupted", "the cases so far are above")
		}
		return fail(1, "audit", err.Error(), "the audit itself could not go on; run it again with LINKRECOVERY_DEBUG=1 and report it")
	}
	reportFailed := false
	if o.report != "" {
		rec := writeReport(o.report, runreport.AuditRun(o.target, backend.BaseURL(), res, started, time.Now()), nil, stderr)
		out.reported(rec)
		reportFailed = rec["event"] != "report"
	}
	out.done(res)
	if res.AnyFailed() || reportFailed {
		return 1
	}
	return 0
}

// auditJSON writes the audit as JSON lines (masked and escaped by flows.JSONLines).
type auditJSON struct{ emit func(flows.Record) }

func (j auditJSON) ready(s auditSetup) {
	r := flows.Record{"event": "ready", "target": s.target, "plaid_url": s.baseURL, "client_id": s.clientID,
		"secret_masked": s.secret, "secret_source": s.secretFrom, "cases": s.cases, "wait_ms": s.wait.Milliseconds()}
	if s.keysFile != "" {
		r["keys_file"] = s.keysFile
	}
	j.emit(r)
}

func (j auditJSON) caseDone(c audit.CaseResult) {
	r := flows.Record{"event": "case", "case": c.ID, "verdict": string(c.Verdict), "reason": c.Reason,
		"status": c.Status, "latency_ms": c.Latency.Milliseconds(), "exchanged": len(c.Exchanged)}
	if c.Verdict != audit.Pass {
		r["why"], r["fix"] = c.Why, c.Fix
	}
	j.emit(r)
}

// done is the last record, shaped as the walk-through's: passed is a verdict (no case failed), the
// counts are beside it.
func (j auditJSON) done(r audit.Result) {
	reason := fmt.Sprintf("%d of %d cases passed, %d failed, %d warned", r.Passed, len(r.Cases), r.Failed, r.Warned)
	j.emit(flows.Record{"event": "done", "passed": !r.AnyFailed(), "reason": reason,
		"pass": r.Passed, "fail": r.Failed, "warn": r.Warned})
}

func (j auditJSON) reported(rec flows.Record) { j.emit(rec) }

// failed is an error record and then, since the audit cannot go on, its done record: every run of
// JSON lines ends with done.
func (j auditJSON) failed(step, message, hint string) {
	j.emit(flows.Record{"event": "error", "step": step, "message": message, "hint": hint})
	j.emit(flows.Record{"event": "done", "passed": false, "reason": message, "hint": hint})
}

// auditChecklist writes the audit for a person: the setup, then one line per case as it is known,
// with why and the fix under each case that did not pass.
type auditChecklist struct {
	w     io.Writer
	width int // of the case ids, for the column
}

func (c *auditChecklist) ready(s auditSetup) {
	for _, id := range s.cases {
		c.width = max(c.width, len(id))
	}
	p := func(format string, a ...any) {
		fmt.Fprintln(c.w, sanitize.Text(secret.Scrub(fmt.Sprintf(format, a...))))
	}
	p("Auditing %s with an emulator of the Plaid Sandbox:", s.target)
	p("  base URL   %s", s.baseURL)
	p("  client id  %s", s.clientID)
	p("  secret     %s (%s)", s.secret, s.secretFrom)
	if s.keysFile != "" {
		p("  keys file  %s (PLAID_CLIENT_ID, PLAID_SECRET, PLAID_BASE_URL)", s.keysFile)
	}
	p("Your app's Plaid client must use this base URL and these keys (docs/audit.md says how).")
	p("Waiting up to %s for %s to answer, then %d cases:", s.wait, s.target, len(s.cases))
}

func (c *auditChecklist) caseDone(r audit.CaseResult) {
	mark := map[audit.Verdict]string{audit.Pass: "pass", audit.Fail: "FAIL", audit.Warn: "warn"}[r.Verdict]
	took := r.Latency.Round(time.Millisecond).String()
	if r.Latency < time.Millisecond {
		took = "<1ms"
	}
	line := fmt.Sprintf("  %s  %-*s  %s (%s)", mark, c.width, r.ID, r.Reason, took)
	fmt.Fprintln(c.w, sanitize.Text(secret.Scrub(line)))
	if r.Verdict != audit.Pass {
		indent := strings.Repeat(" ", 8+c.width)
		fmt.Fprintln(c.w, indent+"why: "+sanitize.Text(r.Why))
		fmt.Fprintln(c.w, indent+"fix: "+sanitize.Text(r.Fix))
	}
}

func (c *auditChecklist) done(r audit.Result) {
	fmt.Fprintf(c.w, "%d cases: %d passed, %d failed, %d warned\n", len(r.Cases), r.Passed, r.Failed, r.Warned)
}

func (c *auditChecklist) failed(string, string, string) {} // stderr has said it

func (c *auditChecklist) reported(rec flows.Record) {
	if rec["event"] == "report" {
		fmt.Fprintf(c.w, "Report: %s\n", rec["path"])
	} // else stderr has said why
}
