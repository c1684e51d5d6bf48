package report

import (
	"testing"

	"github.com/bankdown/linkrecovery/internal/browser"
)

// DrawReport renders md's mermaid block in Chromium with the pinned Mermaid (skipping without
// them, outside CI, as this package's own diagram test does), for the tests of real runs in
// package report_test. It returns the kind of diagram drawn, its messages and notes as drawn, and
// those the block says it holds.
func DrawReport(t *testing.T, md []byte) (role string, msgs, notes, wantMsgs, wantNotes []string) {
	t.Helper()
	bundle := mermaidBundle(t)
	ctx := browser.New(t)
	browser.ScreenshotOnFailure(t, ctx)
	src := mermaidBlock(t, md)
	got := draw(t, ctx, bundle, src)
	wantMsgs, wantNotes = shown(src)
	return got.Role, got.Messages, got.Notes, wantMsgs, wantNotes
}
