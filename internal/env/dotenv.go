package env

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"unicode"

	"github.com/joho/godotenv"

	"github.com/bankdown/linkrecovery/internal/privfile"
)

// readDotenv reads the .env file at path: nil for an absent file (demo mode, or keys in the
// environment). Its errors name the file, the line and the key, never a value: godotenv's own
// message quotes the rest of the file from the bad line on, so an unterminated PLAID_SECRET="…
// or a NGROK_AUTHTOKEN line without '=' would print the secret whole.
func readDotenv(path string) (map[string]string, error) {
	src, err := privfile.Read(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("%v; fix or remove that file", err)
	}
	m, err := godotenv.UnmarshalBytes(src)
	if err == nil {
		return m, nil
	}
	line, key, what := dotenvProblem(string(src))
	if line == 0 {
		return nil, fmt.Errorf("cannot read %s: it is not in NAME=value lines (the parser's message is not shown, as it quotes values); fix or remove that file", path)
	}
	if key != "" {
		key = " (" + key + ")"
	}
	return nil, fmt.Errorf("cannot read %s: line %d%s: %s; fix that line (NAME=value; values are never shown here), or remove the file", path, line, key, what)
}

// dotenvProblem finds where godotenv v1.5's parser stops in src, walking it the same way: the
// line, the key when it is safe to show (see shownKey), and what is wrong. Line 0: not found.
func dotenvProblem(src string) (line int, key, what string) {
	s := strings.ReplaceAll(src, "\r\n", "\n")
	lineAt := func(off int) int { return strings.Count(s[:off], "\n") + 1 }
	for i := 0; ; {
		i += len(s[i:]) - len(strings.TrimLeftFunc(s[i:], unicode.IsSpace))
		if i >= len(s) {
			return 0, "", ""
		}
		eol := strings.IndexByte(s[i:], '\n')
		if eol < 0 {
			eol = len(s) - i
		}
		text := s[i : i+eol]
		if text[0] == '#' {
			i += eol
			continue
		}
		if rest, ok := strings.CutPrefix(text, "export"); ok && rest != "" && isDotenvSpace(rune(rest[0])) {
			trimmed := strings.TrimLeftFunc(rest, isDotenvSpace)
			i += len(text) - len(trimmed)
			text = trimmed
		}
		// The name runs to '=' or ':' (godotenv takes YAML-style lines too) and may hold only
		// letters, digits, '_', '.' and blanks.
		sep := strings.IndexFunc(text, func(r rune) bool {
			return !(unicode.IsLetter(r) || unicode.IsNumber(r) || r == '_' || r == '.' || isDotenvSpace(r))
		})
		switch {
		case sep < 0:
			// A name and a value with no '=' between them: the first word is a name only if it is
			// one of ours (a lone word may be a pasted secret).
			word, _, _ := strings.Cut(strings.TrimSpace(text), " ")
			if !slices.Contains(dotenvKeys, word) {
				word = ""
			}
			return lineAt(i), word, "no '=' between the name and the value"
		case text[sep] != '=' && text[sep] != ':':
			return lineAt(i), "", "the name before '=' holds a character a variable name cannot (letters, digits, _ and . only)"
		}
		name := strings.TrimRightFunc(text[:sep], isDotenvSpace)
		start := i
		i += sep + 1
		i += len(s[i:]) - len(strings.TrimLeftFunc(s[i:], isDotenvSpace))
		if i < len(s) && (s[i] == '"' || s[i] == '\'') {
			q := s[i]
			end := -1
			for j := i + 1; j < len(s); j++ {
				if s[j] == q && s[j-1] != '\\' {
					end = j
					break
				}
			}
			if end < 0 {
				return lineAt(start), shownKey(name), fmt.Sprintf("the quoted value has no closing %c", q)
			}
			i = end + 1
			continue
		}
		// An unquoted value ends at the line's end, '\r' included.
		if nl := strings.IndexAny(s[i:], "\r\n"); nl >= 0 {
			i += nl
		} else {
			i = len(s)
		}
	}
}

// dotenvKeys are the names LoadConfig reads.
var dotenvKeys = []string{EnvClientID, EnvSecret, EnvPlaidEnv, EnvPlaidBaseURL, EnvNgrokAuthtoken}

// shownKey is name if it looks like an environment variable's (capitals, digits, _), else "": a
// value pasted where a name belongs must not be shown as one.
func shownKey(name string) string {
	if name == "" || len(name) > 64 || slices.Contains(dotenvKeys, name) {
		return name
	}
	for i, r := range name {
		if !(r >= 'A' && r <= 'Z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			return ""
		}
	}
	return name
}

// isDotenvSpace is godotenv's isSpace: blanks within a line, not the newline.
func isDotenvSpace(r rune) bool {
	switch r {
	case '\t', '\v', '\f', '\r', ' ', 0x85, 0xA0:
		return true
	}
	return false
}
