package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bankdown/linkrecovery/internal/sanitize"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// Masking. Every string of a Run passes through scrub before it is escaped: the registry masks
// the secrets the process knows (keys, access tokens), and tokenRE catches the tokens it was never
// told about (link and public tokens quoted in an error message, say).

// tokenRE matches a Plaid token in any text: its kind, its environment and at least 8 more
// characters (a masked token, "link-sandbox-40cd…abcd", has only 4 before the ellipsis).
var tokenRE = regexp.MustCompile(`(?:access|public|link|processor)-(?:sandbox|development|production)-[A-Za-z0-9-]{8,}`)

// scrub masks every known secret and every Plaid token in s.
func scrub(s string) string {
	return tokenRE.ReplaceAllStringFunc(secret.Scrub(s), secret.Mask)
}

// maskToken shows a token the way secret.Mask does, whether it came in full or already masked.
func maskToken(s string) string {
	if s == "" || masked(s) {
		return s
	}
	return secret.Mask(s)
}

// masked says s is already in secret.Mask's shape ("link-sandbox-40cd…abcd", "****").
func masked(s string) bool {
	s = s[len(tokenPrefixRE.FindString(s)):]
	r := []rune(s)
	return s == "****" || len(r) == 9 && r[4] == '…'
}

// tokenPrefixRE is the kind and environment a Plaid token starts with.
var tokenPrefixRE = regexp.MustCompile(`^(?:access|public|link|processor)-(?:sandbox|development|production)-`)

// maskURL shows a URL that grants something (a Hosted Link session) without the part that grants
// it: no query or fragment, and the last path segment masked.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return secret.Mask(s)
	}
	dir, last := path.Split(u.EscapedPath())
	if last != "" {
		last = secret.Mask(last)
	}
	return scrub(u.Scheme + "://" + u.Host + dir + last)
}

// secretFields are JSON fields whose values are masked wherever they appear: secrets, every kind
// of token, and the ids that name a person's Item and accounts.
var secretFields = map[string]bool{
	"access_token": true, "public_token": true, "public_tokens": true, "link_token": true,
	"processor_token": true, "secret": true, "client_secret": true, "plaid_secret": true,
	"password": true, "authtoken": true, "ngrok_authtoken": true,
	"item_id": true, "account_id": true, "account_ids": true,
}

// urlFields are JSON fields holding a URL that grants a session.
var urlFields = map[string]bool{"hosted_link_url": true, "url": true}

// maskJSON returns v (decoded JSON) with secret fields masked and every string scrubbed.
func maskJSON(key string, v any) any {
	k := strings.ToLower(key)
	switch x := v.(type) {
	case string:
		switch {
		case secretFields[k]:
			return maskToken(x)
		case urlFields[k]:
			return maskURL(x)
		}
		return scrub(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = maskJSON(key, e) // a list of tokens is as secret as one
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[scrub(k)] = maskJSON(k, e)
		}
		return out
	case nil:
		return nil
	}
	if secretFields[k] {
		return "****"
	}
	return v
}

// maxShownBody is how much of one body the report shows.
const maxShownBody = 4 << 10

// bodyText returns b for a fenced block and its info string: JSON indented, masked and with HTML
// characters escaped; anything else as inert text. Both are cut at maxShownBody; cut adds the
// bytes left out before (Add's cut).
func bodyText(b []byte, cut int) (text, lang string) {
	if len(bytes.TrimSpace(b)) == 0 {
		return "", ""
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err == nil && !dec.More() && cut == 0 {
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(true)
		if err := enc.Encode(maskJSON("", v)); err == nil {
			text, lang = strings.TrimSuffix(out.String(), "\n"), "json"
		}
	}
	if lang == "" {
		text, lang = sanitize.Block(scrub(strings.ToValidUTF8(string(b), "\uFFFD"))), "text"
	}
	if len(text) > maxShownBody {
		cut += len(text) - maxShownBody
		text = cutRunes(text, maxShownBody)
	}
	if cut > 0 {
		text += fmt.Sprintf("\n… (%d more bytes not shown)", cut)
	}
	return text, lang
}

// cutRunes returns the longest prefix of s of at most n bytes that ends on a rune boundary.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Markdown.

// mdSpecial are the characters that mean something inline in GitHub's Markdown: emphasis,
// code, links and images, raw HTML and entities, table cells, strikethrough, math.
const mdSpecial = "\\`*_[]<>|&!#$~"

// md makes outside text inert inline: controls shown as escapes, newlines too, and every special
// character backslash-escaped. It is for places after fixed text (a table cell, after "**Reason:**
// "), where nothing can open a block. An underscore inside a word (SESSION_FINISHED) is left as
// it is: there it can neither open nor close emphasis.
func md(s string) string {
	rs := []rune(sanitize.Text(scrub(s)))
	var b strings.Builder
	for i, r := range rs {
		if r < utf8.RuneSelf && strings.ContainsRune(mdSpecial, r) && !(r == '_' && inWord(rs, i)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// inWord says rs[i] has a letter or digit on both sides.
func inWord(rs []rune, i int) bool {
	alnum := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	return i > 0 && i+1 < len(rs) && alnum(rs[i-1]) && alnum(rs[i+1])
}

// code is outside text as an inline code span in a table cell: a fence longer than any run of
// backticks in it, and | escaped for the table (GitHub removes the backslash inside the span).
func code(s string) string {
	s = sanitize.Text(scrub(s))
	if s == "" {
		return ""
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") {
		pad = " "
	}
	return fence + pad + strings.ReplaceAll(s, "|", `\|`) + pad + fence
}

// fenced is a fenced block of text that is already inert (a body), with a fence no line of it
// can close.
func fenced(text, lang string) string {
	fence := strings.Repeat("`", max(3, longestRun(text, '`')+1))
	return fence + lang + "\n" + text + "\n" + fence + "\n"
}

func longestRun(s string, c rune) int {
	best, n := 0, 0
	for _, r := range s {
		if r == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

// Mermaid.

// maxLabel is the most runes of one piece of outside text a diagram label shows.
const maxLabel = 100

// clip cuts outside text for a diagram label to maxLabel runes, masked first so that a cut cannot
// hide a secret from the mask.
func clip(s string) string {
	s = scrub(s)
	if r := []rune(s); len(r) > maxLabel {
		return string(r[:maxLabel-1]) + "…"
	}
	return s
}

// mermaid makes text inert in a sequence diagram's message or note: controls and newlines shown
// as escapes (a newline would end the statement), and every ASCII character but letters, digits
// and harmless punctuation written as an entity code (#59; is ';'), which Mermaid turns back into
// the character only when it draws. That covers ';' and '#' (they end a message), ':' ("wrap:"),
// '%' (comments and %%{init}%% directives), '<' '>' '&' (HTML, <br>, arrows), backticks (the
// Markdown fence around the diagram), '$' (KaTeX between $$), braces and quotes. Beyond ASCII,
// invisible format characters and the two that Mermaid uses for its own entity placeholders (ﬂ
// and ¶) are written as entities too.
func mermaid(s string) string {
	s = sanitize.Text(scrub(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && (r == ' ' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
			strings.ContainsRune(".,/_-()?!@=+*~^[]'", r)),
			r >= utf8.RuneSelf && unicode.IsPrint(r) && !unicode.Is(unicode.Cf, r) && r != 'ﬂ' && r != '¶':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "#%d;", r)
		}
	}
	return b.String()
}
