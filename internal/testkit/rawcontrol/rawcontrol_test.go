package rawcontrol

import "testing"

func TestIs(t *testing.T) {
	for _, r := range []rune{0, '\n', 0x1b, 0x7f, 0x80, 0x9b, 0x202a, 0x202e, 0x2066, 0x2069} {
		if !Is(r) {
			t.Errorf("Is(U+%04X) = false, want true", r)
		}
	}
	for _, r := range []rune{' ', 'a', '~', 0xa0, 'é', 0x2029, 0x202f, 0x2065, 0x206a, '✓'} {
		if Is(r) {
			t.Errorf("Is(U+%04X) = true, want false", r)
		}
	}
}

func TestProblem(t *testing.T) {
	for s, want := range map[string]string{
		"plain ✓ text":  "",
		"a\x1b[31mred":  "holds the raw control U+001B",
		"bidi \u202e":   "holds the raw control U+202E",
		"bad \xff byte": "not valid UTF-8",
		"two\nlines":    "holds the raw control U+000A",
	} {
		if got := Problem(s); got != want {
			t.Errorf("Problem(%q) = %q, want %q", s, got, want)
		}
	}
	if got := Problem("two\nlines", '\n'); got != "" {
		t.Errorf("Problem with newline allowed = %q, want inert", got)
	}
}
