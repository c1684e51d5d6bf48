package tui

import (
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// A long error wraps to the terminal's width, whole, where the old box cut it mid-sentence at
// four lines; every line still fits the terminal.
func TestLongErrorWrapsWhole(t *testing.T) {
	long := strings.Repeat("the proxy answered with something odd again ", 7) + "LASTWORD"
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		f := newFixture(t, true, size[0], size[1])
		f.open(nSession)
		f.send(stepErrMsg{step: "open the browser", err: errors.New(long)})
		scr := ansi.Strip(f.m.View())
		if !strings.Contains(scr, "LASTWORD") {
			t.Errorf("%dx%d: the error was cut:\n%s", size[0], size[1], scr)
		}
		for i, l := range strings.Split(scr, "\n") {
			if w := ansi.StringWidth(l); w > size[0] {
				t.Errorf("%dx%d: line %d is %d wide", size[0], size[1], i, w)
			}
		}
	}
}

// A status line (a key's explanation, the LAN's address) wraps rather than ending in "…".
func TestStatusWraps(t *testing.T) {
	f := newFixture(t, true, 60, 20)
	f.open(nSession)
	f.m.status = "The demo is on the LAN at 192.168.100.200: a phone on that network can scan the code. L takes it off."
	scr := ansi.Strip(f.m.View())
	if !strings.Contains(scr, "L takes it off.") {
		t.Errorf("the status was cut:\n%s", scr)
	}
}
