package tui

import "strings"

// Errors live as long as their cause. Each rule below drops the errors whose cause has gone:
//   - a step's own success clears it (Update: clearErr on each success message);
//   - a retry clears the error it retries while it runs (clearRetried);
//   - a new token (n, or opening a half whose token failed) clears the half's errors: they were
//     about the old token;
//   - the institution back (r worked) clears a failed a: the next a walks another session;
//   - a verified webhook clears the receiver's refusal;
//   - a browser that would not open belongs to the URL on screen: it goes when the screen or the
//     token changes;
//   - x dismisses the error on screen, whatever it is (the next failure brings it back).

// stepOpen is the step of a browser that would not open (see openBrowserCmd).
const stepOpen = "open the browser"

// clearErrsWhere drops every error drop says has lost its cause.
func (m *model) clearErrsWhere(drop func(errEntry) bool) {
	out := m.errs[:0:0]
	for _, e := range m.errs {
		if !drop(e) {
			out = append(out, e)
		}
	}
	m.errs = out
}

// clearRunErrs drops the errors of scenario's run (a new token starts it over) and the browser
// error, which was about the old token's URL.
func (m *model) clearRunErrs(scenario string) {
	m.clearErrsWhere(func(e errEntry) bool { return e.scenario == scenario || e.step == stepOpen })
}

// clearCopyErrs drops failed copies (a copy is being tried again).
func (m *model) clearCopyErrs() {
	m.clearErrsWhere(func(e errEntry) bool { return strings.HasPrefix(e.step, "copy ") })
}

// dismissErr drops the error on screen (the newest); the one before it, if any, shows next.
func (m *model) dismissErr() {
	if n := len(m.errs); n > 0 {
		m.errs = m.errs[: n-1 : n-1]
	}
}
