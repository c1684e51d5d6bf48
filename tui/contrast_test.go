package tui

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/lucasb-eyer/go-colorful"
	"github.com/muesli/termenv"

	"github.com/bankdown/linkrecovery/internal/termbg"
)

// contrastScenarios are the golden screens plus those with colours of their own to check.
func contrastScenarios() []goldenScenario {
	return append(append([]goldenScenario{}, goldenScenarios...), []goldenScenario{
		{"signup_copy_error", true, func(f *fixture) {
			f.open(nSignup)
			f.send(stepErrMsg{step: "copy username", err: fmt.Errorf("tmux load-buffer -w - failed: exit status 1")})
		}},
		{"signup_copied", true, func(f *fixture) {
			f.open(nSignup)
			f.send(copiedMsg{label: "username", value: "user_good", via: "OSC 52"})
		}},
	}...)
}

// TestContrast renders every scenario with colours on (256 colours and true colour), on a dark, a
// light and an unknown background, reads the SGR sequences back out of the ANSI, and computes the
// WCAG contrast of every styled letter and digit against the background it sits on: at least
// 4.5:1 on a known background; on an unknown one, body text must use the terminal's own colours
// and each colour set on the terminal's background must reach 3:1 on black and on white.
func TestContrast(t *testing.T) {
	eachTheme(t, []termbg.Background{termbg.DarkBackground, termbg.LightBackground, termbg.Unknown}, func(t *testing.T, r *lipgloss.Renderer, bg termbg.Background) {
		failures := map[string]bool{}
		coloured := 0
		for _, sc := range contrastScenarios() {
			sizes := [][2]int{{80, 24}, {120, 40}}
			if goldenAtEdges[sc.name] {
				sizes = append(sizes, goldenEdgeSizes...) // the smallest layout and a big terminal
			}
			for _, size := range sizes {
				f := newFixture(t, sc.demo, size[0], size[1], func(o *Options) { o.Background, o.Renderer = bg, r })
				sc.build(f)
				n, bad := checkContrast(f.m.View(), bg)
				coloured += n
				for _, b := range bad {
					failures[sc.name+": "+b] = true
				}
			}
		}
		if coloured == 0 {
			t.Fatal("no letter carried a colour: the views were rendered without colours, so nothing was checked")
		}
		var list []string
		for k := range failures {
			list = append(list, k)
		}
		sort.Strings(list)
		for _, l := range list {
			t.Error(l)
		}
	})
}

// eachTheme runs fn as a subtest for each colour profile (256 colours, true colour) and each
// background in bgs, with a renderer set up for the pair.
func eachTheme(t *testing.T, bgs []termbg.Background, fn func(t *testing.T, r *lipgloss.Renderer, bg termbg.Background)) {
	for _, prof := range []termenv.Profile{termenv.ANSI256, termenv.TrueColor} {
		for _, bg := range bgs {
			t.Run(fmt.Sprintf("%s_%s", profileName(prof), bg), func(t *testing.T) {
				r := lipgloss.NewRenderer(io.Discard)
				r.SetColorProfile(prof)
				r.SetHasDarkBackground(bg != termbg.LightBackground)
				fn(t, r, bg)
			})
		}
	}
}

// darkAndLight are the known backgrounds.
var darkAndLight = []termbg.Background{termbg.DarkBackground, termbg.LightBackground}

func profileName(p termenv.Profile) string {
	switch p {
	case termenv.ANSI256:
		return "ansi256"
	case termenv.TrueColor:
		return "truecolor"
	}
	return fmt.Sprint(p)
}

// cell is a foreground or background as an SGR sequence left it: the terminal's own (set false)
// or a colour.
type cell struct {
	set bool
	c   colorful.Color
}

// sgrState is the graphic rendition in force.
type sgrState struct {
	fg, bg  cell
	reverse bool
}

// checkContrast walks view and returns how many letters and digits had a colour set, and a
// description of each failing colour pair (once per pair).
func checkContrast(view string, bg termbg.Background) (int, []string) {
	return checkContrastMin(view, bg, 0)
}

// checkContrastMin is checkContrast with every pair held to at least floor:1 (the presenter's 7).
func checkContrastMin(view string, bg termbg.Background, floor float64) (int, []string) {
	var st sgrState
	p := ansi.NewParser()
	var state byte
	seen := map[string]bool{}
	var bad []string
	coloured := 0
	s := view
	for len(s) > 0 {
		seq, width, n, newState := ansi.DecodeSequence(s, state, p)
		state = newState
		s = s[n:]
		switch {
		case ansi.HasCsiPrefix(seq) && ansi.Cmd(p.Command()).Final() == 'm':
			st = applySGR(st, p.Params())
		case width > 0:
			r := []rune(seq)[0]
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				continue
			}
			if st.fg.set || st.bg.set {
				coloured++
			}
			if why := judge(st, bg, floor); why != "" && !seen[why] {
				seen[why] = true
				bad = append(bad, fmt.Sprintf("%q: %s", r, why))
			}
		}
	}
	return coloured, bad
}

var (
	black = colorful.Color{}
	white = colorful.Color{R: 1, G: 1, B: 1}
)

// judge says what is wrong with a letter drawn in st on background bg ("" if nothing).
func judge(st sgrState, bg termbg.Background, floor float64) string {
	// ownFg/ownBg: the letter is drawn in the terminal's own foreground/background colour.
	fg, back := st.fg, st.bg
	ownFg, ownBg := !fg.set, !back.set
	if st.reverse {
		fg, back = back, fg
		ownFg, ownBg = !fg.set, !back.set
		if ownFg && ownBg {
			return "" // the terminal's own pair, swapped
		}
	}
	if ownFg && ownBg {
		return "" // the terminal's own pair
	}
	type assumed struct{ termFg, termBg colorful.Color }
	var cases []assumed
	switch bg {
	case termbg.DarkBackground:
		cases = []assumed{{white, black}}
	case termbg.LightBackground:
		cases = []assumed{{black, white}}
	default:
		cases = []assumed{{white, black}, {black, white}}
	}
	min := max(4.5, floor)
	if bg == termbg.Unknown && !ownFg && ownBg {
		min = max(3, floor) // an accent on the unknown background
	}
	if bg == termbg.Unknown && ownFg && !ownBg {
		return fmt.Sprintf("the terminal's own foreground on a fixed background %s: unreadable on some themes", back.c.Hex())
	}
	for _, a := range cases {
		// After a reverse, "own foreground" is the terminal's background colour and vice versa.
		f, b := fg.c, back.c
		if ownFg {
			f = a.termFg
			if st.reverse {
				f = a.termBg
			}
		}
		if ownBg {
			b = a.termBg
			if st.reverse {
				b = a.termFg
			}
		}
		if cr := contrast(f, b); cr < min {
			return fmt.Sprintf("%s on %s is %.2f:1, want at least %.1f:1", f.Hex(), b.Hex(), cr, min)
		}
	}
	return ""
}

// contrast is the WCAG 2 contrast ratio of two colours.
func contrast(a, b colorful.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is WCAG's relative luminance (sRGB linearised, Rec. 709 weights).
func luminance(c colorful.Color) float64 {
	r, g, b := c.LinearRgb()
	return 0.2126*r + 0.7152*g + 0.0722*b
}

// applySGR applies one SGR sequence's parameters.
func applySGR(st sgrState, params ansi.Params) sgrState {
	var ps []int
	for _, p := range params {
		ps = append(ps, p.Param(0))
	}
	if len(ps) == 0 {
		return sgrState{}
	}
	for i := 0; i < len(ps); i++ {
		switch v := ps[i]; {
		case v == 0:
			st = sgrState{}
		case v == 7:
			st.reverse = true
		case v == 27:
			st.reverse = false
		case v >= 30 && v <= 37:
			st.fg = cell{true, termenv.ConvertToRGB(termenv.ANSIColor(v - 30))}
		case v >= 90 && v <= 97:
			st.fg = cell{true, termenv.ConvertToRGB(termenv.ANSIColor(v - 90 + 8))}
		case v >= 40 && v <= 47:
			st.bg = cell{true, termenv.ConvertToRGB(termenv.ANSIColor(v - 40))}
		case v >= 100 && v <= 107:
			st.bg = cell{true, termenv.ConvertToRGB(termenv.ANSIColor(v - 100 + 8))}
		case v == 39:
			st.fg = cell{}
		case v == 49:
			st.bg = cell{}
		case v == 38 || v == 48:
			var c cell
			switch {
			case i+2 < len(ps) && ps[i+1] == 5:
				c = cell{true, termenv.ConvertToRGB(termenv.ANSI256Color(ps[i+2]))}
				i += 2
			case i+4 < len(ps) && ps[i+1] == 2:
				c = cell{true, colorful.Color{R: float64(ps[i+2]) / 255, G: float64(ps[i+3]) / 255, B: float64(ps[i+4]) / 255}}
				i += 4
			default:
				panic(fmt.Sprintf("malformed extended colour in SGR %v", ps))
			}
			if v == 38 {
				st.fg = c
			} else {
				st.bg = c
			}
		}
	}
	return st
}

// TestContrastCheckerCatchesBadColours makes sure the checker fails what it should: bubbles'
// default footer grey on black, white text on a light terminal, and default text on a fixed card
// background when the theme is unknown.
func TestContrastCheckerCatchesBadColours(t *testing.T) {
	tests := []struct {
		view string
		bg   termbg.Background
		bad  bool
	}{
		{"\x1b[38;5;241mq quit\x1b[0m", termbg.DarkBackground, true},         // #626262 on black: 3.3:1
		{"\x1b[38;2;178;178;178mq quit\x1b[m", termbg.LightBackground, true}, // #B2B2B2 on white
		{"\x1b[38;5;231mtext\x1b[0m", termbg.LightBackground, true},          // the old fixed white
		{"\x1b[38;5;231mtext\x1b[0m", termbg.Unknown, true},
		{"\x1b[48;5;189mcard\x1b[0m", termbg.Unknown, true},
		{"\x1b[7mcard\x1b[0m", termbg.Unknown, false},
		{"plain", termbg.Unknown, false},
		{"\x1b[38;5;231mtext\x1b[0m", termbg.DarkBackground, false},
		{"\x1b[38;2;128;128;128mmuted\x1b[0m", termbg.Unknown, false},
	}
	for _, tt := range tests {
		_, bad := checkContrast(tt.view, tt.bg)
		if (len(bad) > 0) != tt.bad {
			t.Errorf("checkContrast(%q, %v) = %v, want bad=%v", tt.view, tt.bg, bad, tt.bad)
		}
	}
	if _, bad := checkContrast(strings.Repeat("x", 3), termbg.DarkBackground); len(bad) != 0 {
		t.Errorf("plain text failed: %v", bad)
	}
}

// TestTickedByHandLooksDifferent: a step ticked with m shows another glyph and "(by hand)" until
// the session itself reports it.
func TestTickedByHandLooksDifferent(t *testing.T) {
	f := newFixture(t, false, 100, 30)
	f.open(nSignup)
	f.key("m")
	v := f.m.View()
	if !strings.Contains(v, "✎ Institution-down error seen (by hand)") {
		t.Fatalf("a step ticked by hand looks like a reported one:\n%s", v)
	}
	f.send(webhookReceivedMsg{ev: eventsWebhook(1, fixedToken1, evInstitutionDown)})
	v = f.m.View()
	if strings.Contains(v, "(by hand)") || !strings.Contains(v, "✓ Institution-down error seen") {
		t.Fatalf("once reported, the step still says by hand:\n%s", v)
	}
}

// TestPendingAndFooterContrast holds the two styles the issue measured below 4.5:1 (a pending
// step, the footer's keys and descriptions) to 4.5:1 on dark and light, by themselves, so that a
// palette change fails here by name rather than somewhere in a screen.
func TestPendingAndFooterContrast(t *testing.T) {
	eachTheme(t, darkAndLight, func(t *testing.T, r *lipgloss.Renderer, bg termbg.Background) {
		s := newStyles(r, bg)
		for name, v := range map[string]string{
			"pending step": check(s, false, "Public token exchanged"),
			"footer key":   s.Help.ShortKey.Render("q"),
			"footer desc":  s.Help.ShortDesc.Render("quit"),
			"footer sep":   s.Help.ShortSeparator.Render("x"),
			"full help":    s.Help.FullDesc.Render("quit"),
		} {
			n, bad := checkContrastMin(v, bg, 4.5)
			if n == 0 {
				t.Errorf("%s: no colour set, nothing checked", name)
			}
			for _, b := range bad {
				t.Errorf("%s: %s", name, b)
			}
		}
	})
}
