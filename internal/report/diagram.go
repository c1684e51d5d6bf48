package report

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The diagram's participants, in the order they stand. Their names are fixed text, never
// outside text, so only the messages need escaping.
const (
	pApp    = "App"
	pPlaid  = "Plaid"
	pPerson = "Person"
	pHook   = "Hook"
)

// Bounds: Mermaid refuses a diagram over 50,000 characters (its maxTextSize), and a thousand
// arrows help nobody. Past either bound the diagram says how many events it left out. One event
// draws at most three lines, each of fixed text and at most three clipped pieces of outside text
// (maxLabel runes, each at most 9 bytes as an entity), so stopping maxEventText short of the bound
// leaves room for the last one.
const (
	maxArrows      = 250
	maxDiagramText = 40000
	maxEventText   = 3 * (200 + 3*9*maxLabel)
)

// Diagram returns the Mermaid sequenceDiagram of what happened in r (without the fence).
func Diagram(r Run) string {
	d := diagram{run: r, original: maskToken(r.LinkToken)}
	return d.render()
}

type diagram struct {
	run      Run
	original string   // the first link token, masked
	sessions Sessions // the recovery's Link sessions from those before it
	lines    []string
	size     int
	arrows   int
	left     int // events not drawn
}

func (d *diagram) render() string {
	plaid := "Plaid Sandbox"
	if d.run.Mode == ModeDemo {
		plaid = "Plaid Sandbox emulator"
	}
	head := []string{
		"sequenceDiagram",
		"    participant " + pApp + " as linkrecovery",
		"    participant " + pPlaid + " as " + plaid,
		"    participant " + pPerson + " as Person in Hosted Link",
		"    participant " + pHook + " as Webhook receiver",
	}
	evs := d.run.Events
	for i := 0; i < len(evs); i++ {
		if d.arrows >= maxArrows || d.size+maxEventText > maxDiagramText {
			d.left = len(evs) - i
			break
		}
		switch e := evs[i].(type) {
		case Call:
			n := 1 // consecutive calls alike (polls) are one arrow pair
			for i+n < len(evs) && sameCall(e, evs[i+n]) {
				n++
			}
			i += n - 1
			d.call(e, n)
		case Webhook:
			d.webhook(e)
		case Page:
			label := "page " + clip(e.Step)
			if e.Detail != "" {
				label += " · " + clip(e.Detail)
			}
			d.arrow(pPerson, "->>", pPlaid, mermaid(label))
		case Email:
			d.sessions.Emailed()
			label := "recovery e-mail to " + clip(e.To)
			if e.Subject != "" {
				label += " · " + clip(e.Subject)
			}
			d.arrow(pPlaid, "->>", pPerson, mermaid(label))
		case Fallback:
			d.note(pApp+","+pPlaid, mermaid("no verified SESSION_FINISHED: following the session by polling · "+clip(e.Reason)))
		case Note:
			d.note(pApp, mermaid(clip(e.Text)))
		}
	}
	if d.left > 0 {
		d.note(pApp+","+pHook, fmt.Sprintf("%d more events not drawn (see Calls and webhooks)", d.left))
	}
	if v := d.run.Verdict; v != nil {
		text := "passed"
		if !v.Passed {
			text = "failed"
		}
		if v.Via != "" && (!v.Passed || v.Reason == "") { // a pass's reason says how it ended, token or none
			text += " · " + d.run.learnt() + " via " + v.Via
		}
		if v.Reason != "" {
			text += " · " + clip(v.Reason)
		}
		d.note(pApp, mermaid(text))
	}
	return strings.Join(append(head, d.lines...), "\n") + "\n"
}

// sameCall says e is a call like c, to be drawn as one arrow with c.
func sameCall(c Call, e Event) bool {
	x, ok := e.(Call)
	return ok && x.Method == c.Method && x.Endpoint == c.Endpoint && x.Status == c.Status && x.Err == c.Err &&
		responseLabel(x) == responseLabel(c)
}

func (d *diagram) call(c Call, n int) {
	req := clip(strings.TrimSpace(c.Method + " " + c.Endpoint))
	if n > 1 {
		req += fmt.Sprintf(" ×%d", n)
	}
	d.arrow(pApp, "->>", pPlaid, mermaid(req))
	arrow := "-->>"
	if c.Status == 0 || c.Status >= 400 {
		arrow = "--x"
	}
	label := responseLabel(c)
	if n == 1 && c.Duration > 0 {
		label += " · " + duration(c.Duration)
	}
	d.arrow(pPlaid, arrow, pApp, mermaid(label))
}

// responseLabel says what came back: the status and the one field that matters (the link token
// created, the error code).
func responseLabel(c Call) string {
	if c.Status == 0 {
		if c.Err != "" {
			return "no answer · " + clip(c.Err)
		}
		return "no answer"
	}
	label := fmt.Sprint(c.Status)
	var resp map[string]any
	if json.Unmarshal(c.Response, &resp) == nil {
		if s, ok := resp["error_code"].(string); ok && s != "" {
			label += " · " + clip(s)
		} else if s, ok := resp["link_token"].(string); ok && s != "" && strings.HasSuffix(c.Endpoint, "/link/token/create") {
			label += " · link token " + clip(maskToken(s))
		}
	}
	return label
}

func (d *diagram) webhook(w Webhook) {
	name := clip(strings.TrimSpace(w.Type + " " + w.Code))
	if name == "" {
		name = "webhook"
	}
	parts := []string{name}
	if w.Status != "" {
		parts = append(parts, clip(w.Status))
	}
	if w.Code == "SESSION_FINISHED" || w.PublicTokens > 0 {
		parts = append(parts, plural(w.PublicTokens, "public token"))
	}
	arrow := "->>"
	switch {
	case !w.Verified:
		arrow = "-x"
		reason := w.Reason
		if reason == "" {
			reason = "not verified"
		}
		parts = append(parts, "REFUSED: "+clip(reason))
	case w.Duplicate:
		parts = append(parts, "verified, duplicate")
	default:
		parts = append(parts, "verified")
	}
	d.arrow(pPlaid, arrow, pHook, mermaid(strings.Join(parts, " · ")))
	recovery := d.sessions.Recovery(w) && w.LinkSessionID != "" // the diagram names only a session it knows
	if w.Code != "SESSION_FINISHED" || !w.Verified {
		return
	}
	tok := clip(maskToken(w.LinkToken))
	switch {
	case recovery && tok != "" && tok == d.original:
		d.note(pHook, mermaid("recovery session finished: its SESSION_FINISHED came to the webhook of the ORIGINAL link token "+tok))
	case recovery && tok != "":
		d.note(pHook, mermaid("recovery session finished, but for link token "+tok+", not the original "+clip(d.original)))
	case tok != "":
		d.note(pHook, mermaid("for link token "+tok))
	}
}

// arrow adds a message from one participant to another.
func (d *diagram) arrow(from, arrow, to, label string) {
	d.add(fmt.Sprintf("    %s%s%s: %s", from, arrow, to, label))
	d.arrows++
}

func (d *diagram) note(over, text string) {
	d.add(fmt.Sprintf("    Note over %s: %s", over, text))
}

func (d *diagram) add(line string) {
	d.size += len(line) + 1
	d.lines = append(d.lines, line)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
