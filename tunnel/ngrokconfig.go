package tunnel

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bankdown/linkrecovery/internal/privfile"
)

// Where an authtoken came from, for the header ("ngrok token: NGROK_AUTHTOKEN").
const (
	TokenSourceEnv    = "NGROK_AUTHTOKEN"
	TokenSourceDotenv = ".env"
)

// NgrokConfigPaths lists where the ngrok agent keeps its config file on goos, in the order the
// agent itself looks: the v3 place first, then the v2 one (~/.ngrok2/ngrok.yml), which agents
// upgraded from v2 still read. getenv supplies HOME, XDG_CONFIG_HOME, LOCALAPPDATA and USERPROFILE,
// so tests never read the real home directory.
//
// The v3 places are ngrok's documented defaults (https://ngrok.com/docs/agent/config/, "Default
// locations"): Linux ~/.config/ngrok/ngrok.yml, macOS ~/Library/Application Support/ngrok/ngrok.yml,
// Windows %LocalAppData%\ngrok\ngrok.yml.
func NgrokConfigPaths(getenv func(string) string, goos string) []string {
	home := getenv("HOME")
	if goos == "windows" && getenv("USERPROFILE") != "" {
		home = getenv("USERPROFILE")
	}
	var paths []string
	add := func(elem ...string) {
		if elem[0] != "" {
			paths = append(paths, filepath.Join(elem...))
		}
	}
	switch goos {
	case "windows":
		if local := getenv("LOCALAPPDATA"); local != "" {
			add(local, "ngrok", "ngrok.yml")
		} else {
			add(home, "AppData", "Local", "ngrok", "ngrok.yml")
		}
	case "darwin":
		add(home, "Library", "Application Support", "ngrok", "ngrok.yml")
	default:
		if xdg := getenv("XDG_CONFIG_HOME"); xdg != "" {
			add(xdg, "ngrok", "ngrok.yml")
		} else {
			add(home, ".config", "ngrok", "ngrok.yml")
		}
	}
	add(home, ".ngrok2", "ngrok.yml")
	return paths
}

// ngrokConfigFile is the part of ngrok.yml we read: `authtoken:` at the top (config versions "1"
// and "2", what `ngrok config add-authtoken` writes), or under `agent:` (version "3").
type ngrokConfigFile struct {
	Version   string `yaml:"version"`
	Authtoken string `yaml:"authtoken"`
	Agent     struct {
		Authtoken string `yaml:"authtoken"`
	} `yaml:"agent"`
}

// NgrokConfigAuthtoken finds the authtoken in the first ngrok config file that exists among
// NgrokConfigPaths. It returns the token and the file it came from; ("", "", nil) when there is no
// file or none holds a token. A file that exists but cannot be read or parsed is an error naming
// the file, so the user is told why their `ngrok config add-authtoken` was not used.
func NgrokConfigAuthtoken(getenv func(string) string, goos string) (token, path string, err error) {
	for _, p := range NgrokConfigPaths(getenv, goos) {
		// privfile: a FIFO planted at the path cannot hang the start.
		b, err := privfile.Read(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", p, fmt.Errorf("ngrok's config file: %w", err)
		}
		var f ngrokConfigFile
		if err := yaml.Unmarshal(b, &f); err != nil {
			return "", p, yamlError(p, b, err)
		}
		tok := strings.TrimSpace(f.Agent.Authtoken)
		if tok == "" {
			tok = strings.TrimSpace(f.Authtoken)
		}
		if tok != "" {
			return tok, p, nil
		}
	}
	return "", "", nil
}

// yamlError says why ngrok.yml at path did not parse, naming the line and the key but never a
// value: yaml's own text quotes them (`authtoken: *2abc…` is an alias to an unknown anchor, and the
// error prints the token as the anchor's name; a type error prints the value).
func yamlError(path string, src []byte, err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	} else {
		line = firstBadLine(src)
	}
	where := ""
	if line > 0 {
		where = fmt.Sprintf(", line %d", line)
		if k := yamlKeyAt(src, line); k != "" {
			where += " (" + k + ")"
		}
	}
	return fmt.Errorf("ngrok's config file %s%s: not valid YAML (%s); fix it, or check it with `ngrok config check` (values are never shown here)", path, where, yamlWhat(msg))
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlWhat names the kind of a yaml error in words of ours, none of yaml's text.
func yamlWhat(msg string) string {
	switch {
	case strings.Contains(msg, "unknown anchor"):
		return "an alias (*name) to an anchor that is not defined: quote a value that starts with *"
	case strings.Contains(msg, "cannot unmarshal"), strings.Contains(msg, "cannot decode"):
		return "a value of the wrong type"
	case strings.Contains(msg, "end of stream"):
		return "a quoted value or a bracket is not closed"
	case strings.Contains(msg, "tab character"):
		return "a tab in the indentation"
	}
	return "a value YAML cannot read: quote it"
}

// firstBadLine is the first line at which src stops being a valid ngrok config (the shortest
// failing prefix, found by bisection), for the yaml errors that carry no line; 0 if none.
func firstBadLine(src []byte) int {
	lines := strings.SplitAfter(string(src), "\n")
	fails := func(n int) bool {
		var f ngrokConfigFile
		return yaml.Unmarshal([]byte(strings.Join(lines[:n], "")), &f) != nil
	}
	if !fails(len(lines)) {
		return 0
	}
	lo, hi := 1, len(lines)
	for lo < hi {
		if mid := (lo + hi) / 2; fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// yamlKeyAt is the mapping key that line (1-based) of src starts with, if it looks like one of
// ngrok's (lower case, digits, _ and -): never the value, nor a pasted token posing as a key.
func yamlKeyAt(src []byte, line int) string {
	lines := strings.Split(string(src), "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	text := strings.TrimLeft(lines[line-1], " \t-")
	key, _, ok := strings.Cut(text, ":")
	if !ok || !ngrokKey.MatchString(strings.TrimSpace(key)) {
		return ""
	}
	return strings.TrimSpace(key)
}

var ngrokKey = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)

// ShortPath shows path with the home directory as ~, for the header.
func ShortPath(path, home string) string {
	if home != "" && strings.HasPrefix(path, home+string(filepath.Separator)) {
		return "~" + path[len(home):]
	}
	return path
}
