package tui

import (
	"errors"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/internal/env"
)

// resendCmd asks the receiver to relay webhook seq to --forward-to again (R in the inspector). It
// returns at once: the relay's answer comes as an EventForward on the receiver's events, which the
// inspector shows; only a refusal comes back here, as a stepErrMsg.
func resendCmd(env *env.Env, seq int64) tea.Cmd {
	return func() tea.Msg {
		step := fmt.Sprintf("resend webhook #%d", seq)
		if env == nil {
			return stepErrMsg{step: step, err: errors.New("no webhook receiver in this run")}
		}
		if err := env.ResendWebhook(seq); err != nil {
			return stepErrMsg{step: step, err: err}
		}
		return nil
	}
}
