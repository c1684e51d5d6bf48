package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestTUIPresenterWalksHalf1StepByStep: in a real terminal, p opens the presenter pane, a starts
// the walk, and space performs each step of the sign-up, the bank's return and the recovery
// session, one at a time, until the recovery's SESSION_FINISHED brings the Item.
func TestTUIPresenterWalksHalf1StepByStep(t *testing.T) {
	a := startApp(t, "--half", "1")
	a.waitQR("")
	a.keys("p")
	a.waitScreen("the presenter pane", "Presenter", "The app asks Plaid for a Hosted Link token", "POST /link/token/create")
	a.keys("a")
	// After each space the step shows until its webhooks come (at once, for some): the next pause is
	// what each round waits for.
	for _, next := range []string{
		"Next: choose the bank",
		"Next: log in",
		"Next: opt in with the e-mail",
		"Next: enter the code",
		"Next: bring the bank back",
		"Next: recovery session: log in",
		"Next: recovery session: choose the",
	} {
		a.waitScreen("the pause before "+next, next)
		a.keys("Space")
	}
	a.waitItem(1, "tui-presenter-finished")
	// The pane follows the latest step (the exchange); ← pages back to the recovery's webhook. Each
	// ← waits for the pane to show the step before, so that no look at the screen is taken before
	// the page it asked for is drawn.
	for {
		screen := a.capture(false)
		if strings.Contains(screen, "THE LINK RECOVERY POINT") {
			break
		}
		m := presenterStep.FindStringSubmatch(screen)
		if m == nil {
			t.Fatalf("the presenter pane shows no step number:\n%s", screen)
		}
		n, _ := strconv.Atoi(m[1])
		if n <= 1 {
			t.Fatalf("paged back to step 1 without seeing THE LINK RECOVERY POINT")
		}
		a.keys("Left")
		a.waitScreen("the step before", "Presenter · step "+strconv.Itoa(n-1)+" of")
	}
	a.quit()
}

// presenterStep reads the pane's "step N of M" title.
var presenterStep = regexp.MustCompile(`Presenter · step (\d+) of \d+`)
