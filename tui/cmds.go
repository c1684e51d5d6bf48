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

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// Every Cmd here takes its inputs as arguments and never reads the model: it runs on another
// goroutine while Update goes on changing the model.

var errNoEnv = errors.New("no Plaid environment was set up (tui.Options.Env is nil); start the app with `go run .`")

// openTunnelCmd opens the tunnel and starts the receiver. The receiver's channel is read here, after
// OpenTunnel returned, so that Update never touches env's fields.
func openTunnelCmd(ctx context.Context, env *flows.Env) tea.Cmd {
	return func() tea.Msg {
		if env == nil {
			return tunnelFailedMsg{err: errNoEnv}
		}
		t, err := env.OpenTunnel(ctx)
		if err != nil {
			return tunnelFailedMsg{err: err}
		}
		if t == nil {
			return tunnelFailedMsg{err: errors.New("the tunnel opened but returned nothing (a bug in flows.OpenTunnel)")}
		}
		msg := tunnelOpenedMsg{provider: t.Provider, url: t.URL, webhookURL: t.WebhookURL(), freePlan: t.FreePlan(), tokenSource: t.TokenSource}
		if rcv := env.CurrentReceiver(); rcv != nil {
			msg.events = rcv.Events()
		}
		return msg
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

// createTokenCmd creates the half's Hosted Link token: with the tunnel's webhook, or without one
// (noWebhook) when the tunnel failed (the session is then followed by polling).
func createTokenCmd(ctx context.Context, env *flows.Env, half flows.Half, noWebhook bool) tea.Cmd {
	return func() tea.Msg {
		if env == nil {
			return stepErrMsg{step: stepCreate, half: half, err: errNoEnv}
		}
		create := env.CreateHostedLinkToken
		if noWebhook {
			create = env.CreatePollingLinkToken
		}
		lt, err := create(ctx, half)
		if err != nil {
			return stepErrMsg{step: stepCreate, half: half, err: err}
		}
		skew, _ := env.ClockSkew()
		return linkTokenCreatedMsg{half: half, token: lt, clockWarning: env.ClockWarning(), clockSkew: skew}
	}
}

// getLinkTokenCmd calls /link/token/get.
func getLinkTokenCmd(ctx context.Context, env *flows.Env, half flows.Half, token string, now func() time.Time) tea.Cmd {
	return func() tea.Msg {
		if env == nil {
			return stepErrMsg{step: stepPoll, half: half, err: errNoEnv}
		}
		st, err := env.GetLinkToken(ctx, token)
		if err != nil {
			return stepErrMsg{step: stepPoll, half: half, err: err}
		}
		return tokenPolledMsg{half: half, token: token, status: st, at: now()}
	}
}

// exchangeCmd exchanges the public token and reads the Item and its accounts.
func exchangeCmd(ctx context.Context, env *flows.Env, half flows.Half, publicToken string) tea.Cmd {
	return func() tea.Msg {
		if env == nil {
			return stepErrMsg{step: stepExchange, half: half, err: errNoEnv}
		}
		item, err := env.Exchange(ctx, publicToken)
		if err != nil {
			return stepErrMsg{step: stepExchange, half: half, err: err}
		}
		return exchangedMsg{half: half, item: item}
	}
}

// restoreCmd brings every down institution back through flows; the emulator then "sends" the
// recovery e-mails.
func restoreCmd(env *flows.Env, half flows.Half) tea.Cmd {
	return func() tea.Msg {
		if env == nil {
			return stepErrMsg{step: stepRestore, half: half, err: errNoEnv}
		}
		sent, inbox, err := env.RestoreBank()
		if err != nil {
			return stepErrMsg{step: stepRestore, half: half, err: err}
		}
		return institutionRestoredMsg{half: half, sent: sent, inbox: inbox}
	}
}

// autoCompleteCmd walks a Hosted Link session with the emulator (through flows), as a user on a
// phone would.
func autoCompleteCmd(ctx context.Context, env *flows.Env, half flows.Half, a flows.CompleteSession) tea.Cmd {
	return func() tea.Msg {
		if env == nil {
			return stepErrMsg{step: stepAuto, half: half, err: errNoEnv}
		}
		if err := env.CompleteSession(ctx, a.URL, a.Creds); err != nil {
			return stepErrMsg{step: stepAuto, half: half, err: err}
		}
		return autoCompletedMsg{half: half, recovery: a.Recovery, url: a.URL}
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
