// Package qrscan reads QR codes off a terminal screen, the way a phone camera would: it renders the
// captured text (with its SGR colour escapes, as `tmux capture-pane -e -p` prints it) to pixels in the
// terminal's own colours and hands them to a QR reader that, like strict phone readers, does NOT try
// the inverted image. A QR drawn light-on-dark by mistake therefore fails here too.
package qrscan

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/mattn/go-runewidth"
)

// Theme is the terminal's default colours, used where the text does not set its own (SGR 39/49/0).
type Theme struct {
	DefaultFG, DefaultBG color.Color
}

var (
	// Dark is a typical dark terminal: light grey text on black.
	Dark = Theme{DefaultFG: color.RGBA{0xcc, 0xcc, 0xcc, 0xff}, DefaultBG: color.RGBA{0, 0, 0, 0xff}}
	// Light is a typical light terminal: black text on white.
	Light = Theme{DefaultFG: color.RGBA{0, 0, 0, 0xff}, DefaultBG: color.RGBA{0xff, 0xff, 0xff, 0xff}}
)

// Scale is how many image pixels Decode uses per rasterized pixel: QR readers locate finder patterns
// far more reliably when a module is several pixels wide.
const Scale = 4

// ErrNoQR is wrapped by Decode when no QR code could be read.
var ErrNoQR = errors.New("qrscan: no readable QR code")

// cell paint per glyph: which halves are drawn in the foreground colour.
type halves struct{ top, bottom bool }

var glyphs = map[rune]halves{
	'█': {true, true},
	'▀': {true, false},
	'▄': {false, true},
}

// widths measures cells like tmux does for block glyphs: East Asian "ambiguous" characters (█ ▀ ▄
// among them) are one column, whatever the locale of the machine running the test.
var widths = &runewidth.Condition{EastAsianWidth: false}

// Rasterize renders screen (text with SGR escapes, lines separated by \n) to an image with one pixel
// column per terminal column and two pixel rows per line (the upper and lower half of the cell).
// Block glyphs (█ ▀ ▄) paint their halves in the current foreground and the rest in the current
// background; spaces and any other text paint the background, since letters are noise to a QR reader.
// Cursor movement and other non-SGR escapes are skipped: the input is meant to be a captured screen.
func Rasterize(screen string, theme Theme) image.Image {
	if theme.DefaultFG == nil || theme.DefaultBG == nil {
		theme = Dark
	}
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(screen, "\r\n", "\n"), "\n"), "\n")
	type px struct {
		fg, bg color.Color
		h      halves
	}
	rows := make([][]px, len(lines))
	width := 0
	st := newState(theme)
	for i, line := range lines {
		var row []px
		for j := 0; j < len(line); {
			if line[j] == 0x1b {
				j += st.escape(line[j:])
				continue
			}
			r, size := utf8.DecodeRuneInString(line[j:])
			j += size
			switch {
			case r == '\r':
				continue
			case r == '\t':
				for n := 8 - len(row)%8; n > 0; n-- {
					row = append(row, px{st.fg(), st.bg(), halves{}})
				}
				continue
			case r < 0x20 || r == 0x7f:
				continue
			}
			w := widths.RuneWidth(r)
			if w == 0 {
				continue // combining marks share the previous cell
			}
			h := glyphs[r]
			for k := 0; k < w; k++ {
				row = append(row, px{st.fg(), st.bg(), h})
			}
		}
		rows[i] = row
		width = max(width, len(row))
	}
	img := image.NewRGBA(image.Rect(0, 0, max(width, 1), 2*max(len(lines), 1)))
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			img.Set(x, y, theme.DefaultBG)
		}
	}
	for y, row := range rows {
		for x, p := range row {
			top, bottom := p.bg, p.bg
			if p.h.top {
				top = p.fg
			}
			if p.h.bottom {
				bottom = p.fg
			}
			img.Set(x, 2*y, top)
			img.Set(x, 2*y+1, bottom)
		}
	}
	return img
}

// state is the SGR state of the tiny terminal.
type state struct {
	theme    Theme
	fgc, bgc color.Color // nil = theme default
	reverse  bool        // SGR 7: lipgloss and others draw "highlighted" cells this way
}

func newState(t Theme) *state { return &state{theme: t} }

func (s *state) rawFG() color.Color {
	if s.fgc == nil {
		return s.theme.DefaultFG
	}
	return s.fgc
}

func (s *state) rawBG() color.Color {
	if s.bgc == nil {
		return s.theme.DefaultBG
	}
	return s.bgc
}

func (s *state) fg() color.Color {
	if s.reverse {
		return s.rawBG()
	}
	return s.rawFG()
}

func (s *state) bg() color.Color {
	if s.reverse {
		return s.rawFG()
	}
	return s.rawBG()
}

// escape consumes one escape sequence at the start of b (b[0] == ESC) and returns its length.
func (s *state) escape(b string) int {
	if len(b) < 2 {
		return len(b)
	}
	switch b[1] {
	case '[': // CSI: parameters 0x30–0x3F, intermediates 0x20–0x2F, final 0x40–0x7E
		i := 2
		for i < len(b) && b[i] >= 0x20 && b[i] <= 0x3f {
			i++
		}
		if i >= len(b) {
			return len(b)
		}
		if b[i] == 'm' {
			s.sgr(b[2:i])
		}
		return i + 1
	case ']', 'P', '_', '^', 'X': // OSC/DCS/APC/PM/SOS: up to BEL or ST (ESC \)
		for i := 2; i < len(b); i++ {
			if b[i] == 0x07 {
				return i + 1
			}
			if b[i] == 0x1b && i+1 < len(b) && b[i+1] == '\\' {
				return i + 2
			}
		}
		return len(b)
	case '(', ')', '*', '+', '#', '%': // charset designations take one more byte
		return min(3, len(b))
	}
	return 2
}

func (s *state) sgr(params string) {
	if params == "" {
		params = "0"
	}
	// Both ';' and ':' separate sub-parameters (38:5:n is the ITU form of 38;5;n).
	fields := strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ':' })
	if strings.HasPrefix(params, ";") || strings.HasPrefix(params, ":") {
		fields = append([]string{"0"}, fields...)
	}
	nums := make([]int, len(fields))
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil {
			n = -1
		}
		nums[i] = n
	}
	for i := 0; i < len(nums); i++ {
		n := nums[i]
		switch {
		case n == 0:
			s.fgc, s.bgc, s.reverse = nil, nil, false
		case n == 7:
			s.reverse = true
		case n == 27:
			s.reverse = false
		case n >= 30 && n <= 37:
			s.fgc = palette(n - 30)
		case n >= 90 && n <= 97:
			s.fgc = palette(n - 90 + 8)
		case n >= 40 && n <= 47:
			s.bgc = palette(n - 40)
		case n >= 100 && n <= 107:
			s.bgc = palette(n - 100 + 8)
		case n == 39:
			s.fgc = nil
		case n == 49:
			s.bgc = nil
		case n == 38 || n == 48:
			c, used := extended(nums[i+1:])
			i += used
			if c != nil {
				if n == 38 {
					s.fgc = c
				} else {
					s.bgc = c
				}
			}
		}
	}
}

// extended parses the tail of 38/48: "5;n" or "2;r;g;b". It returns the colour (nil if malformed) and
// how many numbers it consumed.
func extended(rest []int) (color.Color, int) {
	if len(rest) == 0 {
		return nil, 0
	}
	switch rest[0] {
	case 5:
		if len(rest) < 2 || rest[1] < 0 || rest[1] > 255 {
			return nil, min(2, len(rest))
		}
		return palette(rest[1]), 2
	case 2:
		if len(rest) < 4 {
			return nil, len(rest)
		}
		return color.RGBA{clamp(rest[1]), clamp(rest[2]), clamp(rest[3]), 0xff}, 4
	}
	return nil, 1
}

func clamp(n int) uint8 { return uint8(max(0, min(255, n))) }

// palette returns xterm's colour n of 256.
func palette(n int) color.Color {
	base := [16]color.RGBA{
		{0, 0, 0, 255}, {205, 0, 0, 255}, {0, 205, 0, 255}, {205, 205, 0, 255},
		{0, 0, 238, 255}, {205, 0, 205, 255}, {0, 205, 205, 255}, {229, 229, 229, 255},
		{127, 127, 127, 255}, {255, 0, 0, 255}, {0, 255, 0, 255}, {255, 255, 0, 255},
		{92, 92, 255, 255}, {255, 0, 255, 255}, {0, 255, 255, 255}, {255, 255, 255, 255},
	}
	switch {
	case n < 16:
		return base[n]
	case n < 232:
		n -= 16
		level := func(v int) uint8 {
			if v == 0 {
				return 0
			}
			return uint8(55 + 40*v)
		}
		return color.RGBA{level(n / 36), level(n / 6 % 6), level(n % 6), 255}
	default:
		g := uint8(8 + 10*(n-232))
		return color.RGBA{g, g, g, 255}
	}
}

// Decode reads one QR code from img. Small images (such as Rasterize's) are scaled up by Scale first.
// Inverted codes (light modules on dark) are deliberately not retried: phone readers reject them too.
//
// ZXing's detector misjudges a few perfect codes: it estimates the module size from runs that pass
// through the data beside a finder pattern, gets the wrong dimension ("dimension = 31") and gives
// up on that frame. A phone simply reads the next frame, seen from a slightly different angle; Decode
// does the same with the code stretched by one pixel in a module each way (frames), so that a test
// does not fail one run in many on what a camera reads.
func Decode(img image.Image) (string, error) {
	if img == nil {
		return "", fmt.Errorf("%w: no image", ErrNoQR)
	}
	b := img.Bounds()
	k := 1
	if b.Dx() < 1000 && b.Dy() < 1000 {
		k = Scale
	}
	var err error
	for _, f := range [][2]int{{k, k}, {k + 1, k}, {k, k + 1}} {
		var text string
		if text, err = decodeFrame(scale(img, f[0], f[1])); err == nil {
			return text, nil
		}
	}
	return "", err
}

// decodeFrame reads one QR code from one view of the image, without retries of its own.
func decodeFrame(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoQR, err)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", fmt.Errorf("%w (%v): is the code on screen whole, and drawn dark-on-light with a quiet zone?", ErrNoQR, err)
	}
	return res.GetText(), nil
}

// DecodeScreen is Rasterize followed by Decode.
func DecodeScreen(screen string, theme Theme) (string, error) {
	return Decode(Rasterize(screen, theme))
}

// scale enlarges img by integer factors across (kx) and down (ky) with nearest-neighbour sampling,
// keeping module edges sharp.
func scale(img image.Image, kx, ky int) image.Image {
	b := img.Bounds()
	if kx == 1 && ky == 1 {
		return img
	}
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*kx, b.Dy()*ky))
	for y := 0; y < b.Dy()*ky; y++ {
		for x := 0; x < b.Dx()*kx; x++ {
			out.Set(x, y, img.At(b.Min.X+x/kx, b.Min.Y+y/ky))
		}
	}
	return out
}
