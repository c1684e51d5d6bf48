package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/aymanbagabas/go-osc52/v2"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/emulator/audit"
	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/report"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// Every Cmd here takes its inputs as arguments and never reads the model: it runs on another
// goroutine while Update goes on changing the model.

// openTunnelCmd opens the tunnel and starts the receiver through the interpreter (env.Open), which
// also reads the receiver's channel, so that Update never touches the Env's fields.
func openTunnelCmd(ctx context.Context, e *env.Env) tea.Cmd {
	return func() tea.Msg {
		in, events := e.Open(ctx)
		return tunnelMsg{in: in, events: events}
	}
}

// waitForEventCmd takes the next receiver event; the handler re-arms it.
func waitForEventCmd(ch <-chan webhook.Event) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return receiverClosedMsg{}
		}
		return webhookReceivedMsg{ev: ev}
	}
}

// performer does one effect and returns the input it produced: env.Perform, the one interpreter
// the headless run uses too (tests put their own in its place).
type performer func(ctx context.Context, eff flows.Effect) flows.Input

// performCmd performs one of a run's effects and brings its result back in the envelope. A result
// that is nil (the run's context ended) brings nothing.
func performCmd(ctx context.Context, perform performer, scenario string, eff flows.Effect) tea.Cmd {
	return func() tea.Msg {
		in := perform(ctx, eff)
		if in == nil {
			return nil
		}
		return resultMsg{scenario: scenario, in: in}
	}
}

// copyCmd puts value on the clipboard. Inside tmux it hands the value to tmux's own buffer
// (load-buffer -w also passes it on to the outer terminal's clipboard): tmux drops an OSC 52
// sequence wrapped for passthrough unless allow-passthrough is on, so writing one would only look
// like it worked. Elsewhere an OSC 52 sequence goes out in one Write, so it does not interleave
// with the renderer's output. copiedMsg comes only when the copy went through; otherwise a
// stepErrMsg names the cause.
func copyCmd(ctx context.Context, w io.Writer, tmux bool, label, value string) tea.Cmd {
	return func() tea.Msg {
		step := "copy " + label
		if tmux {
			via, err := tmuxLoadBuffer(ctx, value)
			if err != nil {
				return stepErrMsg{step: step, err: fmt.Errorf("%w; select the text with the mouse instead (in tmux, hold shift while selecting)", err)}
			}
			return copiedMsg{label: label, value: value, via: via}
		}
		if _, err := io.WriteString(w, osc52.New(value).String()); err != nil {
			return stepErrMsg{step: step, err: fmt.Errorf("writing the OSC 52 sequence to the terminal: %w; select the text with the mouse instead", err)}
		}
		return copiedMsg{label: label, value: value, via: "OSC 52"}
	}
}

// tmuxLoadBuffer runs `tmux load-buffer -w -` with value on stdin; a tmux older than 3.2, which
// has no -w, gets the value in its paste buffer only. It says where the value went.
func tmuxLoadBuffer(ctx context.Context, value string) (string, error) {
	run := func(args ...string) error {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var out bytes.Buffer
		cmd := exec.CommandContext(cctx, "tmux", args...)
		cmd.Stdin = strings.NewReader(value)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			if detail := firstLine(out.String()); detail != "" {
				return fmt.Errorf("tmux %s failed: %w (%s)", strings.Join(args, " "), err, detail)
			}
			return fmt.Errorf("tmux %s failed: %w", strings.Join(args, " "), err)
		}
		return nil
	}
	err := run("load-buffer", "-w", "-")
	if err == nil {
		return "tmux load-buffer", nil
	}
	if errors.Is(err, exec.ErrNotFound) {
		return "", fmt.Errorf("$TMUX is set but no tmux command is on PATH: %w", err)
	}
	if run("load-buffer", "-") == nil {
		return "tmux's paste buffer only (this tmux has no load-buffer -w; prefix ] pastes it)", nil
	}
	return "", err
}

// firstLine is s's first non-empty line, trimmed: tool output shown in one line.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

// writeRecordsCmd appends records to the transcript in order. Only one runs at a time (see
// model.flushTranscript), so the file's order is the order things happened.
func writeRecordsCmd(t *flows.Transcript, recs []flows.Record) tea.Cmd {
	return func() tea.Msg {
		for _, r := range recs {
			if err := t.Write(r); err != nil {
				return transcriptWrittenMsg{err: err}
			}
		}
		return transcriptWrittenMsg{}
	}
}

// auditTargetWait is how long a run waits for the target to answer at all before it says the app
// is not up: the person pressed enter, so it should be running already.
var auditTargetWait = 3 * time.Second

// auditStartCmd runs the audit of target against backend (the cases of only, or all) in the
// background. Its messages go through a channel with room for all of them, so the run never
// blocks on a program that has quit; quitting cancels ctx, which ends the run.
func auditStartCmd(ctx context.Context, backend audit.Backend, target string, only []string, gen int) tea.Cmd {
	return func() tea.Msg {
		ch := make(chan tea.Msg, len(audit.CaseIDs())+1)
		go func() {
			defer close(ch)
			if err := audit.WaitForTarget(ctx, nil, target, auditTargetWait); err != nil {
				ch <- auditDoneMsg{gen: gen, err: err}
				return
			}
			_, err := audit.Run(ctx, audit.Config{Target: target, Emulator: backend, Only: only,
				OnCase: func(c audit.CaseResult) { ch <- auditCaseMsg{gen: gen, res: c} }})
			ch <- auditDoneMsg{gen: gen, err: err}
		}()
		return auditStartedMsg{gen: gen, ch: ch}
	}
}

// waitAuditCmd waits for the audit run's next message (nil once its channel is closed).
func waitAuditCmd(ch <-chan tea.Msg) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg { return <-ch }
}

// saveReportCmd writes a run's report into dir under a name that says when (report.Save).
func saveReportCmd(ctx context.Context, scenario, dir string, r report.Run, now time.Time) tea.Cmd {
	return func() tea.Msg {
		if err := ctx.Err(); err != nil {
			return reportSavedMsg{scenario: scenario, err: err}
		}
		path, err := report.Save(dir, r, now)
		return reportSavedMsg{scenario: scenario, path: path, err: err}
	}
}
