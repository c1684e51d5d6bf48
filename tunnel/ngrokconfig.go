package tunnel

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
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
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", p, fmt.Errorf("cannot read ngrok's config file %s: %v", p, errText(err))
		}
		var f ngrokConfigFile
		if err := yaml.Unmarshal(b, &f); err != nil {
			return "", p, fmt.Errorf("ngrok's config file %s is not valid YAML (%s); check it with `ngrok config check`", p, yamlErrText(err))
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

// yamlErrText is a YAML error without the values it quotes: a type error ("cannot unmarshal !!str
// `2abc…` into ...") would otherwise print the authtoken.
func yamlErrText(err error) string {
	parts := strings.Split(err.Error(), "`")
	for i := 1; i < len(parts); i += 2 {
		parts[i] = "…"
	}
	return firstLine(strings.Join(parts, "`"))
}

// ShortPath shows path with the home directory as ~, for the header.
func ShortPath(path, home string) string {
	if home != "" && strings.HasPrefix(path, home+string(filepath.Separator)) {
		return "~" + path[len(home):]
	}
	return path
}
