// Package rawcontrol is the tests' own definition of a character that must not reach a terminal or
// a log raw. It is kept apart from internal/sanitize, which it checks, and imports only the standard library, so that
// any package's tests (the emulator's too) can hold their output to it.
package rawcontrol

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// Is reports whether r would act rather than show: a C0 control, DEL, a C1 control, or a bidi
// override or isolate (U+202A–U+202E, U+2066–U+2069), which reorder what a reader sees.
func Is(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// Problem says what keeps s from being inert text: not valid UTF-8, or the first raw control in it
// (other than those in allow, such as the newlines of a whole screen). It is "" for inert text.
func Problem(s string, allow ...rune) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	for _, r := range s {
		if Is(r) && !slices.Contains(allow, r) {
			return fmt.Sprintf("holds the raw control U+%04X", r)
		}
	}
	return ""
}
