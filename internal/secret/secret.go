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
)

// MinLen is the shortest value Register accepts: a shorter one would mask ordinary words.
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
	replacer *strings.Replacer // longest values first, rebuilt on Register
}

// Register adds secret values to mask from now on. Empty values and values shorter than MinLen
// are ignored.
func (r *Redactor) Register(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, v := range values {
		if len(v) < MinLen || r.values[v] {
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
	vs := make([]string, 0, len(r.values))
	for v := range r.values {
		vs = append(vs, v)
	}
	// Longest first, so a secret that contains another is masked whole.
	sort.Slice(vs, func(i, j int) bool {
		if len(vs[i]) != len(vs[j]) {
			return len(vs[i]) > len(vs[j])
		}
		return vs[i] < vs[j]
	})
	pairs := make([]string, 0, 2*len(vs))
	for _, v := range vs {
		pairs = append(pairs, v, Mask(v))
	}
	r.replacer = strings.NewReplacer(pairs...)
}

// Scrub returns s with every registered value replaced by its Mask.
func (r *Redactor) Scrub(s string) string {
	r.mu.RLock()
	rep := r.replacer
	r.mu.RUnlock()
	if rep == nil || s == "" {
		return s
	}
	return rep.Replace(s)
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
