// Package tui is the Bubble Tea walk-through of both halves of Link Recovery testing.
//
// One package, a file per part: app.go routes and composes the screen; header, home, signup,
// session (with the SESSION_FINISHED tracker both halves use), inspector, inbox and qr are the parts;
// layout.go measures and places them; errors.go, help.go and transcript.go are the error box, the
// footer and the --transcript records; cmds.go is every piece of I/O (tea.Cmds over flows/,
// internal/webhook/ and the emulator), msgs.go every message, keys.go and styles.go the keys and styles.
package tui

import (
	"context"
	"io"
	"log"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/emulator"
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
	ctx            context.Context
	env            *flows.Env
	em             *emulator.Emulator // nil outside demo mode
	cfg            flows.Config
	mode           flows.Mode
	auto           bool
	webhookTimeout time.Duration
	styles         Styles
	width, height  int         // the terminal
	bodyW, bodyH   int         // the body between header and footer (set by finalize)
	tunnelSettled  bool        // the tunnel is up or failed: tokens can be created
	tunnelFailed   bool        // tokens are made without a webhook and followed by polling
	debug          *log.Logger // nil: no debug log
	nowFn          func() time.Time
	now            time.Time // nowFn() at the start of the current Update
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
	var em *emulator.Emulator
	if o.Env != nil {
		// Read once here, before the program runs, so no Cmd and Update ever race on the Env.
		cfg = o.Env.Config()
		mode = o.Env.Mode
		em = o.Env.Emulator
	}
	c := &common{
		ctx: ctx, env: o.Env, em: em, cfg: cfg, mode: mode, auto: o.Auto && em != nil,
		webhookTimeout: cfg.WebhookTimeout, styles: newStyles(o.Renderer, o.Background), debug: o.DebugLog, nowFn: nowFn, now: nowFn(),
	}
	if c.webhookTimeout <= 0 {
		c.webhookTimeout = defaultWebhookTimeout
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
		signup:     newSignupModel(c),
		session:    newSessionModel(c),
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
	if o.Half == flows.HalfSignup || o.Half == flows.HalfSession {
		// --half: open it now; its token is created as soon as the tunnel has settled.
		m, _ = m.openHalf(o.Half)
	}
	m.spinning = m.needsSpinner()
	m.updateKeys()
	return m
}
