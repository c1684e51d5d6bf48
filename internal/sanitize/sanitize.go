// Package sanitize makes text from outside the process inert before a terminal draws it.
//
// Webhook bodies, Plaid error messages, e-mail subjects, URLs, an opener's output and file names
// can hold bytes that a terminal obeys rather than shows: ESC starts sequences that retitle the
// window (OSC 2), set the clipboard (OSC 52) or clear the screen (CSI); the 8-bit C1 controls
// (U+0080–U+009F, and their raw bytes in invalid UTF-8) do the same on terminals that honour them;
// BEL, backspace and carriage return overwrite what the user reads. lipgloss and x/ansi keep such
// sequences as they are (Truncate and Wrap treat them as zero-width styling), so every view passes
// outside text through Text or Block first, and the bytes show as visible escapes such as \x1b.
package sanitize

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text returns s safe to draw on one line: every C0 control (newline and tab included), DEL, every
// C1 control, every byte of invalid UTF-8 and the bidi embedding/override/isolate marks are
// replaced by visible escapes (\x1b, \x7f, \u009b, \xff, \u202e). Everything else is kept as is.
func Text(s string) string { return escape(s, false) }

// Block is Text for a view that lays out several lines: newline and tab are kept, every other
// control is escaped as Text does. A carriage return is escaped too (it would overwrite the line).
func Block(s string) string { return escape(s, true) }

func escape(s string, multiline bool) string {
	if clean(s, multiline) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			// A byte that is not UTF-8 (a raw 8-bit C1 such as 0x9b among them).
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case multiline && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, isBidiControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// clean says s needs no escaping (the common case, so no allocation).
func clean(s string, multiline bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && !(multiline && (c == '\n' || c == '\t')) || c == 0x7f || c >= 0x80 {
			return cleanSlow(s, multiline)
		}
	}
	return true
}

func cleanSlow(s string, multiline bool) bool {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return false
			}
		case multiline && (r == '\n' || r == '\t'):
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || isBidiControl(r):
			return false
		}
	}
	return true
}

// isBidiControl reports the marks that reorder the text drawn after them (LRE, RLE, PDF, LRO, RLO
// and the isolates LRI, RLI, FSI, PDI): a URL or file name could read differently from what it is.
func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}
