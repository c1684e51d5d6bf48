package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"runtime"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// openerError is a failed o: the platform's opener is missing or could not open a browser, or the
// URL was not one to hand it. On a machine with no browser (SSH, a container) xdg-open prints a
// dozen lines; the error box shows one, and the whole output goes to the debug log (Detail).
type openerError struct {
	refused   bool   // url was not handed to the opener at all (see webURL)
	url       string // the URL refused
	name      string // xdg-open, open or rundll32
	err       error  // what exec said: not found, exit status 3, ...
	output    string // everything the opener printed
	noBrowser bool   // no opener, or the opener found no browser
}

// Error is the failure in one line, short enough that with Hint it fits 80 columns: with no
// browser, just that (the opener's output is for the debug log: SSH, a container); otherwise the opener's first line of output and how many more there were.
func (e *openerError) Error() string {
	if e.refused {
		// Cut: the whole URL is on the screen already, and a refusal is one line.
		return fmt.Sprintf("refused %q", fit(e.url, 32))
	}
	if errors.Is(e.err, exec.ErrNotFound) {
		return fmt.Sprintf("no browser (no %s)", e.name)
	}
	if e.noBrowser {
		return fmt.Sprintf("no browser (%s: %v)", e.name, e.err)
	}
	what := e.err.Error()
	if first := firstLine(e.output); first != "" {
		what += ": " + first
		if n := len(strings.Split(strings.TrimSpace(e.output), "\n")) - 1; n > 0 {
			what += fmt.Sprintf(" (+%d lines in the debug log)", n)
		}
	}
	return fmt.Sprintf("%s failed (%s)", e.name, what)
}

// Hint is the next step: the code and the URL are on the screen already. For a refused URL it is
// why: the opener would act on any other scheme.
func (e *openerError) Hint() string {
	if e.refused {
		return "not an http or https URL"
	}
	return "scan the QR code or use the URL"
}

// Detail is the opener's whole output, for the debug log.
func (e *openerError) Detail() string { return e.output }

// xdgOpenNoTool is xdg-open's exit status when no tool to open the URL could be found.
const xdgOpenNoTool = 3

// webURL says whether s is an absolute http or https URL with a host: the only URLs o opens. The URL
// came from Plaid or the emulator, and the platform's opener would do whatever another scheme says
// (file:, javascript:, an app's own scheme) or read "--help" as an option.
func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// openBrowserCmd opens url with the platform's opener if it is a web page (webURL). The opener's
// output is captured, not printed, because the TUI owns the terminal.
func openBrowserCmd(ctx context.Context, url string) tea.Cmd {
	return func() tea.Msg {
		if !webURL(url) {
			return stepErrMsg{step: stepOpen, err: &openerError{refused: true, url: url}}
		}
		name, args := "xdg-open", []string{url}
		switch runtime.GOOS {
		case "darwin":
			name = "open"
		case "windows":
			name, args = "rundll32", []string{"url.dll,FileProtocolHandler", url}
		}
		path, err := exec.LookPath(name)
		if err != nil {
			return stepErrMsg{step: stepOpen, err: &openerError{name: name, err: err, noBrowser: true}}
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var out bytes.Buffer
		cmd := exec.CommandContext(cctx, path, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			none := name == "xdg-open" && errors.As(err, &ee) && ee.ExitCode() == xdgOpenNoTool ||
				strings.Contains(out.String(), "no method available")
			return stepErrMsg{step: stepOpen, err: &openerError{name: name, err: err, output: out.String(), noBrowser: none}}
		}
		return browserOpenedMsg{url: url}
	}
}
