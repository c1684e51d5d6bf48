package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// openerError is a failed o: the platform's opener is missing or could not open a browser. On a
// machine with no browser (SSH, a container) xdg-open prints a dozen lines; the error box shows
// one, and the whole output goes to the debug log (Detail).
type openerError struct {
	name      string // xdg-open, open or rundll32
	err       error  // what exec said: not found, exit status 3, ...
	output    string // everything the opener printed
	noBrowser bool   // no opener, or the opener found no browser
}

// Error is the failure in one line, short enough that with Hint it fits 80 columns: with no
// browser, just that (the opener's output is for the debug log: SSH, a container); otherwise the opener's first line of output and how many more there were.
func (e *openerError) Error() string {
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

// Hint is the next step: the code and the URL are on the screen already.
func (e *openerError) Hint() string { return "scan the QR code or use the URL" }

// Detail is the opener's whole output, for the debug log.
func (e *openerError) Detail() string { return e.output }

// xdgOpenNoTool is xdg-open's exit status when no tool to open the URL could be found.
const xdgOpenNoTool = 3

// openBrowserCmd opens url with the platform's opener. Its output is captured, not printed, because
// the TUI owns the terminal.
func openBrowserCmd(ctx context.Context, url string) tea.Cmd {
	return func() tea.Msg {
		name, args := "xdg-open", []string{url}
		switch runtime.GOOS {
		case "darwin":
			name = "open"
		case "windows":
			name, args = "rundll32", []string{"url.dll,FileProtocolHandler", url}
		}
		path, err := exec.LookPath(name)
		if err != nil {
			return stepErrMsg{step: "open the browser", err: &openerError{name: name, err: err, noBrowser: true}}
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
			return stepErrMsg{step: "open the browser", err: &openerError{name: name, err: err, output: out.String(), noBrowser: none}}
		}
		return browserOpenedMsg{url: url}
	}
}
