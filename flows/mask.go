package flows

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/bankdown/linkrecovery/internal/sanitize"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// MaxBody is the most of a body an event keeps: a Plaid answer is a few KiB, and a webhook body may
// be anything a stranger POSTs (up to the receiver's 1 MiB), so memory stays bounded.
const MaxBody = 16 << 10

// MaskBody is a body as events carry it: JSON with every secret-named field masked at any depth
// (Redact: access_token, public_token(s), secret…) and every known secret masked wherever it is
// (internal/secret), indented with two spaces; anything else as text with known secrets masked and
// control characters escaped. Either way at most MaxBody bytes, cut on a character boundary.
func MaskBody(raw []byte) Body {
	b := Body{Size: len(raw)}
	if len(raw) == 0 {
		return b
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		if m, ok := v.(map[string]any); ok {
			v = map[string]any(Redact(Record(m)))
		} else {
			v = redactValue("", v)
		}
		if out, err := json.MarshalIndent(secret.ScrubAny(v), "", "  "); err == nil {
			b.Text = string(out) // encoding/json escapes control characters: the text is inert
		}
	}
	if b.Text == "" {
		head := raw
		if len(head) > MaxBody {
			head = head[:MaxBody]
		}
		b.Text = sanitize.Block(secret.Scrub(string(head)))
	}
	if len(b.Text) > MaxBody {
		cut := MaxBody
		for cut > 0 && !utf8.RuneStart(b.Text[cut]) {
			cut--
		}
		b.Text, b.Cut = b.Text[:cut], true
	}
	if len(raw) > MaxBody {
		b.Cut = true
	}
	return b
}
