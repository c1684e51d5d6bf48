// Package secret keeps secrets out of everything the process shows or writes.
//
// Masking by field name misses a secret that turns up somewhere else: a proxy that echoes the
// request headers puts PLAID-SECRET in an error body, and that body is quoted in a message. So the
// process registers every secret value it knows (PLAID_SECRET, NGROK_AUTHTOKEN, each access token
// it learns) with Register, and every message, record, log line and screen passes through Scrub,
// which replaces each known value wherever it appears with its Mask.
//
// Files that hold secrets are opened with internal/privfile (owner-only, never through a symlink).
package secret

import (
	"io"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MinLen is the length from which a registered value is masked wherever it appears, inside a
// longer word too. A shorter value (a secret hand-picked for the emulator, a URL's password) is
// masked only where it stands as a whole token: "PLAID-SECRET: abc", `"abc"`, "u:abc@host" are
// masked, "abcdef" and "cab" are not. Masking a 3-letter secret inside every word would mangle
// ordinary text, and a secret hidden inside a longer word is not shown as itself.
const MinLen = 8

// Mask shows just enough of a secret to tell two apart and never enough to use: a Plaid token
// keeps its kind ("access-sandbox-"), then the first and last 4 characters of the rest show
// ("access-sandbox-de3c…c0f6"); a rest shorter than 16 characters shows as "****" (4+4 of it would
// be half the secret). Counted in runes, so the result is valid UTF-8.
func Mask(s string) string {
	if s == "" {
		return ""
	}
	prefix := ""
	for _, kind := range []string{"access-", "public-", "link-"} {
		for _, env := range []string{"sandbox-", "development-", "production-"} {
			if p := kind + env; strings.HasPrefix(s, p) {
				prefix, s = p, s[len(p):]
			}
		}
	}
	r := []rune(s)
	if len(r) < 16 {
		return prefix + "****"
	}
	return prefix + string(r[:4]) + "…" + string(r[len(r)-4:])
}

// Redactor is a set of known secret values. The zero value is ready; it is safe for concurrent use.
type Redactor struct {
	mu       sync.RWMutex
	values   map[string]bool
	replacer *strings.Replacer // values of MinLen or more, longest first, rebuilt on Register
	short    []string          // values shorter than MinLen, longest first: masked as whole tokens
}

// Register adds secret values to mask from now on, whatever their length (see MinLen for how a
// short one is masked). Empty values are ignored.
func (r *Redactor) Register(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, v := range values {
		if v == "" || r.values[v] {
			continue
		}
		if r.values == nil {
			r.values = map[string]bool{}
		}
		r.values[v] = true
		changed = true
	}
	if !changed {
		return
	}
	var long, short []string
	for v := range r.values {
		if len(v) >= MinLen {
			long = append(long, v)
		} else {
			short = append(short, v)
		}
	}
	// Longest first, so a secret that contains another is masked whole.
	for _, vs := range [][]string{long, short} {
		sort.Slice(vs, func(i, j int) bool {
			if len(vs[i]) != len(vs[j]) {
				return len(vs[i]) > len(vs[j])
			}
			return vs[i] < vs[j]
		})
	}
	pairs := make([]string, 0, 2*len(long))
	for _, v := range long {
		pairs = append(pairs, v, Mask(v))
	}
	r.replacer = strings.NewReplacer(pairs...)
	r.short = short
}

// Scrub returns s with every registered value replaced by its Mask (a value shorter than MinLen
// where it stands as a whole token).
func (r *Redactor) Scrub(s string) string {
	r.mu.RLock()
	rep, short := r.replacer, r.short
	r.mu.RUnlock()
	if s == "" {
		return s
	}
	if rep != nil {
		s = rep.Replace(s)
	}
	for _, v := range short {
		s = maskWhole(s, v)
	}
	return s
}

// maskWhole replaces each occurrence of v in s that is a whole token: not preceded or followed by
// a token character (see isTokenRune) where v itself begins or ends with one.
func maskWhole(s, v string) string {
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], v)
		if j < 0 {
			break
		}
		start, end := i+j, i+j+len(v)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (start == 0 || !isTokenRune(first) || !isTokenRune(before)) &&
			(end == len(s) || !isTokenRune(last) || !isTokenRune(after)) {
			b.WriteString(s[done:start])
			b.WriteString(Mask(v))
			done, i = end, end
			continue
		}
		i = start + 1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// isTokenRune says whether r can be part of a token (a word, a key, an identifier with dashes):
// a short secret next to one is part of a longer word, not itself.
func isTokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-'
}

// ScrubAny returns a copy of v with Scrub applied to every string in it, at any depth, in the
// shapes records are made of (maps, slices, strings, errors and Stringers as their text). Other
// values are returned as they are.
func (r *Redactor) ScrubAny(v any) any {
	switch x := v.(type) {
	case string:
		return r.Scrub(x)
	case []string:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = r.Scrub(s)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[r.Scrub(k)] = r.ScrubAny(e)
		}
		return out
	case []map[string]any:
		out := make([]map[string]any, len(x))
		for i, e := range x {
			out[i], _ = r.ScrubAny(e).(map[string]any)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.ScrubAny(e)
		}
		return out
	case error:
		return r.Scrub(x.Error())
	}
	return v
}

// Writer returns a writer that scrubs each Write before passing it to w. A secret split across two
// Writes is not seen, so use it where each Write is a whole line (a log.Logger's output).
func (r *Redactor) Writer(w io.Writer) io.Writer { return scrubWriter{r: r, w: w} }

type scrubWriter struct {
	r *Redactor
	w io.Writer
}

func (s scrubWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(s.w, s.r.Scrub(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Known is the process's registry: what Register adds, Scrub masks everywhere.
var Known = &Redactor{}

// Register adds secret values to the process's registry (see Redactor.Register).
func Register(values ...string) { Known.Register(values...) }

// Scrub masks every value in the process's registry in s.
func Scrub(s string) string { return Known.Scrub(s) }

// ScrubAny is Scrub at any depth of a record-shaped value (see Redactor.ScrubAny).
func ScrubAny(v any) any { return Known.ScrubAny(v) }
