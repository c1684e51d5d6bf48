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
