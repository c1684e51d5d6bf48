// Package tui is the Bubble Tea walk-through of both halves of Link Recovery testing.
//
// The flow itself is not here: each half is a flows.Machine (a pure reducer) run by its
// flows.Scenario. The TUI drives it: hostedlink.go turns messages into the machine's inputs
// (stamped with the injected clock) and its actions into tea.Cmds and ticks, and keeps its records
// for the transcript; the parts render the machine's state. The root (app.go) holds the halves
// behind one interface (halfModel), one per scenario, and never switches on the half number.
//
// One package, a file per part: app.go routes and composes the screen; header, home, signup and
// session (one file per scenario's screen, with the SESSION_FINISHED lines both share), inspector,
// inbox and qr are the parts; layout.go measures and places them; errors.go, help.go and
// transcript.go are the error box, the footer and the --transcript records; cmds.go is every piece
// of I/O (tea.Cmds over flows/, internal/webhook/ and tunnel/; the emulator only through flows), msgs.go every
// message, keys.go and styles.go the keys and styles.
package tui

import (
	"context"
	"io"
	"log"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/termbg"
	"github.com/bankdown/linkrecovery/tunnel"
)

// Options are what main.go hands the TUI.
type Options struct {
	Config     flows.Config
	Env        *flows.Env
	Half       flows.Half // 0: home screen; 1 or 2: open that half and create its token at once
	Auto       bool       // demo mode: complete Hosted Link sessions without a browser
	Transcript *flows.Transcript

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
}

// common is what every part of the TUI shares, by pointer (habit 9 of STYLE.md): the environment,
// the styles, the size and the clock. Only Update writes it; Cmds get copies of what they need.
type common struct {
	ctx           context.Context
	env           *flows.Env
	demo          bool // the local emulator runs: sessions can be walked and banks brought back
	cfg           flows.Config
	mode          flows.Mode
	plaidURL      string
	auto          bool
	styles        Styles
	width, height int         // the terminal
	bodyW, bodyH  int         // the body between header and footer (set by finalize)
	debug         *log.Logger // nil: no debug log
	nowFn         func() time.Time
	now           time.Time // nowFn() at the start of the current Update
	// after turns a machine's deadline into a Cmd that delivers msg after d (tea.Tick; tests
	// replace it to fire deadlines from an injected clock instead of waiting).
	after func(d time.Duration, msg tea.Msg) tea.Cmd
	// emitted are the records the halves' machines emitted during the current Update.
	emitted []halfRecord
}

// halfRecord is a record and the half whose machine emitted it.
type halfRecord struct {
	half flows.Half
	rec  flows.Record
}

func teaAfter(d time.Duration, msg tea.Msg) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return msg })
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
	demo, plaidURL := false, cfg.PlaidURL
	if o.Env != nil {
		// Read once here, before the program runs, so no Cmd and Update ever race on the Env.
		cfg = o.Env.Config()
		mode = o.Env.Mode
		demo = o.Env.CanDrive()
		plaidURL = o.Env.PlaidURL
	}
	c := &common{
		ctx: ctx, env: o.Env, demo: demo, cfg: cfg, mode: mode, plaidURL: plaidURL, auto: o.Auto && demo,
		styles: newStyles(o.Renderer, o.Background), debug: o.DebugLog, nowFn: nowFn, now: nowFn(), after: teaAfter,
	}
	clip := o.Clipboard
	if clip == nil {
		clip = os.Stdout
	}
	m := model{
		c:          c,
		cancel:     cancel,
		keys:       defaultKeyMap(),
		help:       newHelp(c.styles),
		spinner:    newSpinner(c.styles),
		header:     headerModel{mode: mode, clientID: cfg.ClientID, keysFrom: cfg.KeysFrom, baseURL: cfg.PlaidURL, openingSince: c.now},
		home:       newHomeModel(c),
		halves:     newHalves(c),
		inspector:  newInspectorModel(c),
		transcript: o.Transcript,
		clipboard:  clip,
		tmux:       os.Getenv("TMUX") != "",
	}
	if o.Env != nil {
		m.header.provider = o.Env.TunnelProvider()
		if m.header.provider == tunnel.ProviderNgrok {
			m.header.tokenSource = o.Env.Config().NgrokAuthtokenSource
		}
	}
	if _, ok := flows.ScenarioFor(o.Half); ok {
		// --half: open it now; its token is created as soon as the tunnel has settled.
		m, _ = m.openHalf(o.Half)
	}
	m.spinning = m.needsSpinner()
	m.updateKeys()
	return m
}
