package tui

// checkStep is a checklist line for a step the session may report or the user may tick by hand
// (m). A step only ticked by hand looks different, so nobody mistakes it for one the session
// reported: another glyph, and "(by hand)".
func checkStep(s Styles, reported, byHand bool, text string) string {
	if byHand && !reported {
		return s.Warn.Render("✎ ") + s.Text.Render(text) + s.Muted.Render(" (by hand)")
	}
	return check(s, reported, text)
}
