package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/tunnel"
)

// errEntry is a failed step still worth showing (it goes away when the step later succeeds).
type errEntry struct {
	step     string
	scenario string // the run it is about ("" for the TUI's own steps)
	err      error
	count    int
}

// addErr shows a failed step; a repeat of the same step's failure counts up instead of piling up.
// It returns how many times in a row the step has now failed (0: not shown, we are quitting).
func (m *model) addErr(e errEntry) int {
	if errors.Is(e.err, context.Canceled) {
		return 0
	}
	for i, x := range m.errs {
		if x.step == e.step && x.scenario == e.scenario {
			m.errs = append(m.errs[:i:i], m.errs[i+1:]...)
			e.count = x.count + 1
			m.errs = append(m.errs, e)
			return e.count
		}
	}
	e.count = 1
	m.errs = append(m.errs, e)
	return 1
}

// clearErr drops a step's error once the step succeeded.
func (m *model) clearErr(step, scenario string) {
	out := m.errs[:0:0]
	for _, x := range m.errs {
		if x.step != step || x.scenario != scenario {
			out = append(out, x)
		}
	}
	m.errs = out
}

// errorView shows the newest unresolved error with what to do about it.
func (m model) errorView(width int) string {
	if len(m.errs) == 0 {
		return ""
	}
	s := m.c.styles
	e := m.errs[len(m.errs)-1]
	text := errorText(e)
	if e.count > 1 {
		text += fmt.Sprintf(" (×%d)", e.count)
	}
	if n := len(m.errs) - 1; n > 0 {
		text += fmt.Sprintf(" (+%d more)", n)
	}
	// A box of a few lines, more on a tall terminal: an error must not push the code and the URL
	// off the screen.
	return s.ErrorBox.Render(wrapAtMost(text, max(10, width-2), max(maxErrLines, m.c.height/4)))
}

// maxErrLines is the fewest lines of text the error box may take; the rest of a longer error is
// cut (the debug log and the transcript have it whole).
const maxErrLines = 4

// wrapAtMost wraps text to width in at most n lines, the last one ending in … when more was cut.
func wrapAtMost(text string, width, n int) string {
	lines := strings.Split(wrap(text, width), "\n")
	if len(lines) > n {
		lines = append(lines[:n-1], ansi.Truncate(lines[n-1], width-1, "")+"…")
	}
	return strings.Join(lines, "\n")
}

// errorText is an error as a person needs it: what failed, the Plaid code, message and request id,
// and the next step.
func errorText(e errEntry) string {
	var pe *flows.PlaidError
	var te *tunnel.Error
	var ce *flows.CallError
	var h flows.Hinter
	var oe *openerError
	step := e.step
	if e.scenario != "" {
		step = e.scenario + ": " + e.step
	}
	// Every part but the step comes from outside (Plaid, a proxy, ngrok, xdg-open's output): inert.
	switch {
	case errors.As(e.err, &pe):
		t := fmt.Sprintf("✗ %s: %s — %s", step, inert(pe.Code), inertBlock(pe.Message))
		if pe.RequestID != "" {
			t += " (request_id " + inert(pe.RequestID) + ")"
		}
		if hint := keyHint(pe); hint != "" {
			t += "\n→ " + inertBlock(hint)
		}
		return t
	case errors.As(e.err, &oe):
		// One line: the code and the URL are on the screen, and that is the next step.
		return fmt.Sprintf("✗ o: %s: %s", inert(oe.Error()), oe.Hint())
	case errors.As(e.err, &te):
		return fmt.Sprintf("✗ %s (%s): %s\n→ %s", step, te.Provider, inertBlock(te.Cause), inertBlock(te.Next))
	case errors.As(e.err, &ce):
		// Its Error() already ends with the next step; show it once, on its own line.
		return fmt.Sprintf("✗ %s: %s: %s\n→ %s", step, ce.Endpoint, inertBlock(ce.Cause), inertBlock(ce.Next))
	case errors.As(e.err, &h) && h.Hint() != "":
		return fmt.Sprintf("✗ %s: %s\n→ %s", step, inertBlock(h.Error()), inertBlock(h.Hint()))
	}
	return fmt.Sprintf("✗ %s: %s", step, inertBlock(e.err.Error()))
}

// keyHint is a Plaid error's next step as the TUI says it: where a key is the next step, it names
// the key (the core's hints name none, since headless has no keys).
func keyHint(pe *flows.PlaidError) string {
	if pe.Code == "INVALID_LINK_TOKEN" {
		return "the link token is expired or unknown: press n for a new one"
	}
	return pe.Hint()
}
