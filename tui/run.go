package tui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/bankdown/linkrecovery/flows"
)

// screen is one scenario's run on screen: the root holds one per flows.Scenarios entry and talks to
// them only through this interface, never to a scenario's own methods. A scenario that needs its
// own screen registers one (registerScreen, in its file's init); any other gets defaultScreen,
// which renders every run's shared lines.
type screen interface {
	// driver is the run every screen has (its state, QR code, credential focus).
	driver() *run
	// events takes the facts the run's last step established (after the state changed).
	events(evs []flows.Event)
	// key takes a key the root did not handle; it may return a Cmd.
	key(msg tea.KeyMsg, k keyMap) tea.Cmd
	// enableKeys turns on the screen's keys that work now (the root has turned them all off).
	enableKeys(k *keyMap)
	// keyWhy explains, in a line, a key of this screen that does nothing now (ok false: no
	// explanation, the key is ignored as usual).
	keyWhy(msg tea.KeyMsg, k keyMap) (why string, ok bool)
	// cards are the credential cards on screen now (nil: none).
	cards() []flows.CredentialCard
	// View renders the run in a w×h body.
	View(w, h int, spin string) string
	// url is what o opens and v shows; currentQR its code.
	url() string
	currentQR() qrCode
	// relink re-encodes the QR codes once the emulator's address changed (the LAN, lan.go).
	relink()
}

// screens are the scenarios' own screens, by scenario name (registerScreen).
var screens = map[string]func(*run) screen{}

// registerScreen gives scenario name its own screen.
func registerScreen(name string, build func(*run) screen) { screens[name] = build }

// newRuns builds one run per scenario, in menu order, each on its registered screen or the default.
func newRuns(c *common) []screen {
	out := make([]screen, 0, len(flows.Scenarios))
	for _, sc := range flows.Scenarios {
		r := newRun(c, sc)
		build, ok := screens[sc.Info().Name]
		if !ok {
			build = func(r *run) screen { return &defaultScreen{run: r} }
		}
		out = append(out, build(r))
	}
	return out
}

// run drives one scenario's flows.State: it steps it with the TUI's inputs (stamped with the
// injected clock) and turns its effects into Cmds that the interpreter performs. It also holds
// what only a screen needs: the QR code and the credential card in focus.
type run struct {
	c     *common
	sc    flows.Scenario
	name  string
	st    flows.State
	qr    qrCode
	qrFor string // the URL qr encodes
	focus int    // the credential c copies
}

func newRun(c *common, sc flows.Scenario) *run {
	opts := flows.Options{Mode: c.mode, PlaidURL: c.plaidURL, WebhookTimeout: c.cfg.WebhookTimeout, Auto: c.auto, CanRestore: c.demo}
	r := &run{c: c, sc: sc, name: sc.Info().Name, st: flows.New(sc, opts)}
	r.st, _, _ = flows.Step(r.st, c.now, flows.Visible{On: false}) // polling waits until the run is on screen
	return r
}

func (r *run) driver() *run { return r }

// info is the scenario's description.
func (r *run) info() flows.Info { return r.sc.Info() }

// done says whether the run reached its outcome.
func (r *run) done() bool { return r.st.Done() }

// needsSpinner says whether something is in flight.
func (r *run) needsSpinner() bool {
	s := r.st
	b := s.Busy
	return s.Phase == flows.PhaseAwaitTunnel || s.Phase == flows.PhaseCreating || !b.Walking.IsZero() ||
		!b.Exchanging.IsZero() || !b.Restoring.IsZero() || s.Wait.Waiting() && !s.Done()
}

// starting says whether the token is on its way (a new one is not asked for twice).
func (r *run) starting() bool {
	return r.st.Phase == flows.PhaseAwaitTunnel || r.st.Phase == flows.PhaseCreating
}

// start begins the run (again) with a new token; it is made once the tunnel has settled.
func (r *run) start(scr screen) tea.Cmd {
	r.focus = 0
	return r.feed(scr, flows.Start{})
}

// feed steps the run; its events go to the root (c.emitted, for the transcript) and to the
// screen, its effects become Cmds for the interpreter.
func (r *run) feed(scr screen, in flows.Input) tea.Cmd {
	c := r.c
	var effs []flows.Effect
	var evs []flows.Event
	r.st, effs, evs = flows.Step(r.st, c.now, in)
	c.emitted = append(c.emitted, evs...)
	cmds := make([]tea.Cmd, 0, len(effs))
	for _, eff := range effs {
		cmds = append(cmds, c.effectCmd(r.name, eff))
	}
	r.syncQR()
	scr.events(evs)
	return tea.Batch(cmds...)
}

// elapsed is how long since t, as the spinners show it ("  0:07").
func (r *run) elapsed(t time.Time) string {
	d := r.c.now.Sub(t)
	if t.IsZero() || d < 0 {
		d = 0
	}
	return "  " + clock(d)
}

// spinLine is a spinner, its text wrapped to width, and how long it has been going.
func (r *run) spinLine(spin, text string, since time.Time, width int) string {
	s := r.c.styles
	return s.Spinner.Render(spin) + " " + para(s.Text, text+r.elapsed(since), width-2)
}

// relink: a run's one code is its token's.
func (r *run) relink() { r.syncQR() }

// syncQR keeps the QR code on the token's URL, at the address the emulator answers on now.
func (r *run) syncQR() {
	if u := r.c.links.reachable(r.st.Token.HostedLinkURL); u != "" && u != r.qrFor {
		r.qr, r.qrFor = newQRCode(u), u
	}
	if !r.st.HasToken() && r.qrFor != "" {
		r.qr, r.qrFor = qrCode{}, ""
	}
}

// cards are the scenario's credential cards while they help: from the token until the Item.
func (r *run) cards() []flows.CredentialCard {
	if !r.st.HasToken() || r.st.Wait.Item != nil || r.st.Wait.Left {
		return nil
	}
	return r.info().Cards
}

// credentials are cards flattened, in tab order.
func credentials(cards []flows.CredentialCard) []flows.Credential {
	var out []flows.Credential
	for _, c := range cards {
		out = append(out, c.Items...)
	}
	return out
}

// moveFocus moves the credential focus by d among n, wrapping around.
func (r *run) moveFocus(d, n int) {
	if n > 0 {
		r.focus = ((r.focus+d)%n + n) % n
	}
}

// focused is the credential c copies among cards.
func (r *run) focused(cards []flows.CredentialCard) (flows.Credential, bool) {
	creds := credentials(cards)
	if r.focus < 0 || r.focus >= len(creds) {
		return flows.Credential{}, false
	}
	return creds[r.focus], true
}

// cardKeys handles tab, shift+tab (the cards); c is the root's (it owns the clipboard).
func (r *run) cardKeys(msg tea.KeyMsg, k keyMap, cards []flows.CredentialCard) bool {
	n := len(credentials(cards))
	switch {
	case key.Matches(msg, k.NextCard):
		r.moveFocus(1, n)
	case key.Matches(msg, k.PrevCard):
		r.moveFocus(-1, n)
	default:
		return false
	}
	return true
}

// enableCommonKeys turns on the keys every run has when they work now.
func (r *run) enableCommonKeys(k *keyMap, cards []flows.CredentialCard) {
	on := len(credentials(cards)) > 0
	k.Copy.SetEnabled(on)
	k.NextCard.SetEnabled(on)
	k.PrevCard.SetEnabled(on)
	k.Auto.SetEnabled(r.c.demo && r.st.CanWalk())
	k.NewToken.SetEnabled(!r.starting())
}

// cardsView renders the credential cards, each row under its label (values wrap under it when
// the row is wider than width); the focused value is bracketed (visible without colour). When
// fewer than all rows fit in room (see cardRoom), the focused card shows, and how many more.
func (r *run) cardsView(cards []flows.CredentialCard, width, room int) []string {
	s := r.c.styles
	pad := 0
	for _, card := range cards {
		pad = max(pad, lipgloss.Width(card.Title)+1)
	}
	var rows [][]string
	focusRow, i := 0, 0
	for n, card := range cards {
		row := []string{s.Label.Render(padRight(card.Title, pad))}
		used := pad
		for _, it := range card.Items {
			v := s.Card.Render(" " + it.Value + " ")
			if i == r.focus {
				v, focusRow = s.CardFocused.Render("["+it.Value+"]"), n
			}
			if vw := lipgloss.Width(v) + 1; used > pad && used+vw > width {
				row = append(row, strings.Repeat(" ", pad)) // the rest wraps under the label
				used = pad
			} else if used > pad {
				row[len(row)-1] += " "
				used++
			}
			row[len(row)-1] += v
			used += lipgloss.Width(v)
			i++
		}
		rows = append(rows, row)
	}
	out := []string{s.Label.Render("Credentials (tab moves, c copies):")}
	total := 0
	for _, row := range rows {
		total += len(row)
	}
	if total <= room {
		for _, row := range rows {
			out = append(out, row...)
		}
		return out
	}
	// Short of room: the focused card alone, without the header (the footer names tab and c),
	// saying how many more there are where it fits.
	out = rows[focusRow]
	if len(rows) == 1 {
		return out
	}
	more := s.Muted.Render(fmt.Sprintf("+%d more (tab)", len(rows)-1))
	if last := len(out) - 1; lipgloss.Width(out[last])+2+lipgloss.Width(more) <= width {
		out[last] += "  " + more
	} else {
		out = append(out, more)
	}
	return out
}

// cardRoom is how many card lines fit in the body under above (the lines before the cards) and
// over the URL line; all of them while the QR code shows beside. The cards come before the URL
// block's notes: those are what the body's clip drops.
func (r *run) cardRoom(above []string, url string, colW int, qrShown bool) int {
	if qrShown {
		return math.MaxInt
	}
	// 2: the blank line and the "Credentials" line.
	return r.c.bodyH - lipgloss.Height(wrapBlock(above, colW)) - 2 - lipgloss.Height(urlLine(url, colW))
}

// view lays a screen out in a w×h body: its checklist (lines, for a column width) beside its QR
// code q while withQR, else the checklist alone.
func view(w, h int, spin string, q qrCode, withQR bool, lines func(colW int, qrShown bool, needH int, spin string) []string) string {
	if !withQR {
		return clip(strings.Join(lines(w, false, h, spin), "\n"), w, h)
	}
	return layoutQR(q, w, h, func(colW int, qrShown bool, needH int) []string { return lines(colW, qrShown, needH, spin) })
}

// head is the top of every screen's checklist: the goal, the token's lines and, while the emulator
// walks the session, walking and how long it has been at it.
func (r *run) head(colW int, spin, walking string) []string {
	s, st := r.c.styles, r.st
	out := append([]string{para(s.Title, r.info().Goal, colW), ""}, r.tokenLines(colW, spin)...)
	if st.HasToken() && !st.Busy.Walking.IsZero() {
		out = append(out, r.spinLine(spin, walking, st.Busy.Walking, colW))
	}
	return out
}

// tokenLines are the checklist's first lines: the token being made, or made.
func (r *run) tokenLines(colW int, spin string) []string {
	s, st := r.c.styles, r.st
	switch {
	case st.Phase == flows.PhaseAwaitTunnel:
		return []string{r.spinLine(spin, "Waiting for the tunnel: the token carries its webhook URL…", st.Busy.Creating, colW)}
	case st.Phase == flows.PhaseCreating:
		return []string{r.spinLine(spin, "Creating a Hosted Link token…", st.Busy.Creating, colW)}
	case !st.HasToken():
		return []string{check(s, false, "Hosted Link token created"), s.Muted.Render("  press n to create one")}
	case st.NoWebhook():
		return []string{check(s, true, "Hosted Link token created (no webhook: polling)")}
	}
	return []string{check(s, true, "Hosted Link token created")}
}
