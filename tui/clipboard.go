package tui

import "fmt"

// copiedStatus is the confirmation after a copy went through. OSC 52 has no answer, so its
// confirmation says what to do when the terminal ignored it.
func copiedStatus(msg copiedMsg) string {
	switch msg.via {
	case "OSC 52":
		return fmt.Sprintf("Copied the %s (%s) with OSC 52; if pasting gives nothing, your terminal ignores OSC 52: select it with the mouse.", msg.label, msg.value)
	case "tmux load-buffer":
		return fmt.Sprintf("Copied the %s (%s) to tmux's buffer and the clipboard.", msg.label, msg.value)
	}
	return fmt.Sprintf("Copied the %s (%s) to %s.", msg.label, msg.value, msg.via)
}
