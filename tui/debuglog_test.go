package tui

import (
	"log"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/internal/secret"
)

// TestDebugLogStateChanges: with a debug log, screen changes and steps leave lines; tokens only
// masked.
func TestDebugLogStateChanges(t *testing.T) {
	var buf strings.Builder
	f := newFixture(t, true, 100, 30, func(o *Options) { o.DebugLog = log.New(&buf, "", 0) })
	f.open(nSession)
	f.send(exchanged(nSession, fixedItem()))
	got := buf.String()
	for _, want := range []string{"tui: tunnel up (local)", "tui: screen home -> session", "link token " + secret.Mask(fixedToken2) + " created", "item item-fixed-0001"} {
		if !strings.Contains(got, want) {
			t.Errorf("debug log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, fixedToken2) || strings.Contains(got, fixedItem().AccessToken) {
		t.Errorf("debug log holds a token in full:\n%s", got)
	}
}
