// Package tui is the Bubble Tea walk-through of every scenario of Link Recovery testing.
//
// The flow itself is not here: each scenario's run is a flows.State stepped by flows.Step. The TUI
// drives it: run.go feeds it the TUI's inputs (stamped with the injected clock) and hands its
// effects to the interpreter (internal/env's Perform, the same one headless runs use) in tea.Cmds,
// whose results come back in one envelope (resultMsg); the screens render the run's state and its
// events, in the TUI's own words (every hint that names a key is here). The root (app.go) holds the
// runs behind one interface (screen), one per scenario, and never calls a scenario's own methods.
//
// One package, a file per part: app.go routes and composes the screen; header, home, screen (the
// default screen and the lines every run shares), signup and leave (the scenarios with a screen of
// their own, registered from their files), inspector, inbox and qr are the parts; layout.go
// measures and places them; errors.go, help.go and transcript.go are the error box, the footer and
// the --transcript records; cmds.go is every piece of I/O (tea.Cmds over internal/env and
// internal/webhook), msgs.go every message, keys.go and styles.go the keys and styles.
package tui

import (
	"context"
	"io"
	"log"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/emulator/audit"
	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/termbg"
	"github.com/bankdown/linkrecovery/tunnel"
)

// Options are what main.go hands the TUI.
type Options struct {
	Config env.Config
	Env    *env.Env
	// Scenario is the scenario to open at once, creating its token ("": the home screen).
	Scenario   string
	Auto       bool // demo mode: complete Hosted Link sessions without a browser
	Transcript *flows.Transcript
	// TranscriptPath and ReportPath are --transcript's and --report's files, for the summary to
	// name ("" none); s saves reports next to ReportPath, else in the working directory.
	TranscriptPath string
	ReportPath     string

	// Context bounds every call the TUI makes (nil: context.Background()). Quitting cancels what
	// is still running.
	Context context.Context
	// Now is the clock for elapsed times (nil: time.Now); tests fix it so views are reproducible.
	Now func() time.Time
	// Background is the terminal's background as main decided it (termbg.Current); the zero
	// value, Unknown, keeps body text in the terminal's own colour.
	Background termbg.Background
	// Renderer renders the styles (nil: lipgloss's default, the terminal); tests pass one with a
	// fixed colour profile.
	Renderer *lipgloss.Renderer
	// DebugLog, when set (LINKRECOVERY_DEBUG), gets a line per state change; never a secret.
	DebugLog *log.Logger
	// Clipboard receives the OSC 52 sequences that copy a credential (nil: os.Stdout, the terminal).
	Clipboard io.Writer

	// auditBackend stands in for the demo's emulator on the audit screen (tests; nil: Env's).
	auditBackend audit.Backend

	// queueRecords keeps the transcript's records on the model as while a write is in flight
	// (tests write them themselves).
	queueRecords bool
}

// common is what every part of the TUI shares, by pointer (habit 9 of STYLE.md): the environment,
// the styles, the size and the clock. Only Update writes it; Cmds get copies of what they need.
type common struct {
	ctx           context.Context
	env           *env.Env
	demo          bool // the local emulator runs: sessions can be walked and banks brought back
	cfg           env.Config
	mode          flows.Mode
	plaidURL      string
	auto          bool
	styles        Styles
	width, height int         // the terminal
	bodyW, bodyH  int         // the body between header and footer (set by finalize)
	debug         *log.Logger // nil: no debug log
	nowFn         func() time.Time
	now           time.Time // nowFn() at the start of the current Update
	// effectCmd turns one of a run's effects into the Cmd that performs it with the interpreter
	// (performCmd over env.Perform); tests put theirs in its place to see effects as they are asked.
	effectCmd func(scenario string, eff flows.Effect) tea.Cmd
	// lanOps finds LAN addresses and serves the demo there (lan.go); links maps the QR codes' URLs
	// to the address the emulator answers on now.
	lanOps lanOps
	links  lanLinks
	// emitted are the events the runs established during the current Update.
	emitted []flows.Event
}

// New returns the root model.
func New(o Options) tea.Model { return newModel(o) }

func newModel(o Options) model {
	parent := o.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	nowFn := o.Now
	if nowFn == nil {
		nowFn = time.Now
	}
	cfg := o.Config
	mode := cfg.Mode()
	// Without an Env (tests) nothing is ever called: demo mode shows the demo's steps.
	demo, plaidURL := mode == flows.ModeDemo, cfg.PlaidURL
	if o.Env != nil {
		// Read once here, before the program runs, so no Cmd and Update ever race on the Env.
		cfg = o.Env.Config()
		mode = o.Env.Mode
		demo = o.Env.CanDrive()
		plaidURL = o.Env.PlaidURL
	}
	c := &common{
		ctx: ctx, env: o.Env, demo: demo, cfg: cfg, mode: mode, plaidURL: plaidURL, auto: o.Auto && demo,
		styles: newStyles(o.Renderer, o.Background), debug: o.DebugLog, nowFn: nowFn, now: nowFn(),
	}
	c.effectCmd = func(scenario string, eff flows.Effect) tea.Cmd { return performCmd(ctx, o.Env.Perform, scenario, eff) }
	backend := o.auditBackend
	if o.Env != nil && o.Env.Emulator != nil {
		backend = o.Env.Emulator // the audit needs the emulator's keys: demo mode only
	}
	clip := o.Clipboard
	if clip == nil {
		clip = os.Stdout
	}
	m := model{
		c:              c,
		cancel:         cancel,
		keys:           defaultKeyMap(),
		help:           newHelp(c.styles),
		spinner:        newSpinner(c.styles),
		header:         headerModel{mode: mode, clientID: cfg.ClientID, keysFrom: cfg.KeysFrom, baseURL: cfg.PlaidURL, openingSince: c.now, webhooksHalf: -1},
		home:           newHomeModel(c),
		audit:          newAuditModel(backend),
		runs:           newRuns(c),
		inspector:      newInspectorModel(c),
		presenter:      newPresenterModel(),
		summary:        newSummaryModel(o),
		transcript:     o.Transcript,
		transcriptBusy: o.queueRecords,
		clipboard:      clip,
		tmux:           os.Getenv("TMUX") != "",
	}
	if o.Env != nil {
		c.lanOps = lanOpsFor(o.Env, os.Getenv)
		m.header.provider = o.Env.TunnelProvider()
		if m.header.provider == tunnel.ProviderNgrok {
			m.header.tokenSource = o.Env.Config().NgrokAuthtokenSource
		}
	}
	if i, ok := m.runIndex(o.Scenario); ok {
		// --scenario: open it now; its token is created as soon as the tunnel has settled.
		m, _ = m.openRun(i)
	}
	m.spinning = m.needsSpinner()
	m.updateKeys()
	return m
}
