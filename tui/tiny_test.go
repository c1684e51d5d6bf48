package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestSizeNoticeNamesRealLimits: the "make the window bigger" screen shows exactly below the size
// the layout starts at, and names that size, not a larger one the layout merely prefers.
func TestSizeNoticeNamesRealLimits(t *testing.T) {
	notice := fmt.Sprintf("needs ≥ %d×%d", tinyW, tinyH)
	for _, tc := range []struct {
		w, h int
		tiny bool
	}{
		{60, 11, true}, {39, 12, true}, {40, 11, true},
		{40, 12, false}, {60, 12, false}, {60, 15, false}, {80, 24, false},
	} {
		f := newFixture(t, true, tc.w, tc.h)
		view := ansi.Strip(f.m.View())
		flat := strings.Join(strings.Fields(view), " ")
		got := strings.Contains(flat, "Make the window bigger")
		if got != tc.tiny {
			t.Errorf("%d×%d: size notice shown = %v, want %v:\n%s", tc.w, tc.h, got, tc.tiny, view)
		}
		if tc.tiny && !strings.Contains(flat, notice) {
			t.Errorf("%d×%d: the notice does not name the real limit %q:\n%s", tc.w, tc.h, notice, view)
		}
	}
}
