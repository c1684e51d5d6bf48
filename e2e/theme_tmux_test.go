package e2e

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/charmbracelet/x/ansi"
	"github.com/lucasb-eyer/go-colorful"
	"github.com/muesli/termenv"
)

// TestTUIReadsWithoutColorfgbg runs the app in tmux with no COLORFGBG and no --theme (macOS
// Terminal and many others export none), so the background is unknown: it may be white. Every
// letter on the home screen and the sign-up half must then read on black and on white alike: body
// text in the terminal's own colour, accents at least 3:1 on both, and colours painted on their
// own background at least 4.5:1 against it.
func TestTUIReadsWithoutColorfgbg(t *testing.T) {
	a := startApp(t)
	a.waitScreen("the home screen", "Link Recovery", "half 1")
	checkScreenContrast(t, "home", a.capture(true))
	a.keys("1")
	a.waitScreen("the sign-up half", "Credentials", "Hosted Link URL")
	checkScreenContrast(t, "sign-up", a.capture(true))
	a.quit()
}

func checkScreenContrast(t *testing.T, name, screen string) {
	t.Helper()
	type cell struct {
		set bool
		c   colorful.Color
	}
	var fg, bg cell
	reverse := false
	p := ansi.NewParser()
	var state byte
	coloured, seen := 0, map[string]bool{}
	white, black := colorful.Color{R: 1, G: 1, B: 1}, colorful.Color{}
	for s := screen; len(s) > 0; {
		seq, width, n, ns := ansi.DecodeSequence(s, state, p)
		state, s = ns, s[n:]
		if ansi.HasCsiPrefix(seq) && ansi.Cmd(p.Command()).Final() == 'm' {
			var ps []int
			for _, x := range p.Params() {
				ps = append(ps, x.Param(0))
			}
			if len(ps) == 0 {
				ps = []int{0}
			}
			for i := 0; i < len(ps); i++ {
				v := ps[i]
				var c cell
				switch {
				case v == 0:
					fg, bg, reverse = cell{}, cell{}, false
					continue
				case v == 7:
					reverse = true
					continue
				case v == 27:
					reverse = false
					continue
				case v == 39:
					fg = cell{}
					continue
				case v == 49:
					bg = cell{}
					continue
				case (v >= 30 && v <= 37) || (v >= 40 && v <= 47):
					c = cell{true, termenv.ConvertToRGB(termenv.ANSIColor(v % 10))}
				case (v >= 90 && v <= 97) || (v >= 100 && v <= 107):
					c = cell{true, termenv.ConvertToRGB(termenv.ANSIColor(v%10 + 8))}
				case (v == 38 || v == 48) && i+2 < len(ps) && ps[i+1] == 5:
					c = cell{true, termenv.ConvertToRGB(termenv.ANSI256Color(ps[i+2]))}
					i += 2
				case (v == 38 || v == 48) && i+4 < len(ps) && ps[i+1] == 2:
					c = cell{true, colorful.Color{R: float64(ps[i+2]) / 255, G: float64(ps[i+3]) / 255, B: float64(ps[i+4]) / 255}}
					i += 4
				default:
					continue
				}
				if v == 38 || (v >= 30 && v <= 37) || (v >= 90 && v <= 97) {
					fg = c
				} else {
					bg = c
				}
			}
			continue
		}
		if width == 0 {
			continue
		}
		r := []rune(seq)[0]
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		f, b := fg, bg
		if reverse {
			f, b = b, f
		}
		var why string
		switch {
		case !f.set && !b.set:
			continue // the terminal's own colours (maybe swapped)
		case f.set && b.set:
			coloured++
			if cr := wcag(f.c, b.c); cr < 4.5 {
				why = fmt.Sprintf("%s on %s is %.2f:1 (want 4.5)", f.c.Hex(), b.c.Hex(), cr)
			}
		case f.set:
			coloured++
			if cw, cb := wcag(f.c, white), wcag(f.c, black); cw < 3 || cb < 3 {
				why = fmt.Sprintf("%s is %.2f:1 on white, %.2f:1 on black (want 3 on both)", f.c.Hex(), cw, cb)
			}
		default:
			why = fmt.Sprintf("the terminal's own text colour on a fixed %s", b.c.Hex())
		}
		if why != "" && !seen[why] {
			seen[why] = true
			t.Errorf("%s screen, %q: %s", name, r, why)
		}
	}
	if coloured == 0 {
		t.Errorf("%s screen: no coloured letter at all; the capture has no colours, so nothing was checked:\n%q", name, screen)
	}
	if t.Failed() {
		saveScreen(t, "theme-"+strings.ReplaceAll(name, " ", "-"), screen)
	}
}

// wcag is the WCAG 2 contrast ratio of two colours.
func wcag(a, b colorful.Color) float64 {
	lum := func(c colorful.Color) float64 {
		r, g, b := c.LinearRgb()
		return 0.2126*r + 0.7152*g + 0.0722*b
	}
	la, lb := lum(a), lum(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
