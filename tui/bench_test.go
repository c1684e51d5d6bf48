package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// BenchmarkFirstFrame is start to first frame: New, Init (its Cmd not run: that is the tunnel,
// in the background), the WindowSizeMsg, and View. Target: well under 150 ms.
func BenchmarkFirstFrame(b *testing.B) {
	env := testkit.DemoEnv(b, env.Config{})
	for _, bc := range []struct {
		name string
		half string
	}{{"home", ""}, {"half2", nSession}} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m := New(Options{Env: env, Scenario: bc.half})
				_ = m.Init()
				m, _ = m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
				if m.View() == "" {
					b.Fatal("empty first frame")
				}
			}
		})
	}
}
