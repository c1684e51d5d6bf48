package tui

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/internal/secret"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// The inspector's history is bounded by count and by bytes, because anyone who learns the webhook
// URL can send webhooks: it keeps the latest inspectorKeep events, fewer if their bodies (each at
// most webhook.BodyKeep, as the receiver keeps them) pass inspectorKeepBytes together; the oldest
// go first. The title says how many came and how many are kept.
const (
	inspectorKeep      = 500
	inspectorKeepBytes = 8 << 20
)

// inspectorModel lists the latest events the receiver reported (see inspectorKeep), newest first,
// with the selected one's JSON in a scrollable viewport and the --forward-to target's answer beside it.
type inspectorModel struct {
	c        *common
	items    []webhook.Event // newest first; forward results are attached, not listed
	total    int             // events added, kept or not
	bytes    int             // what items hold (webhook.Event.Size)
	forwards map[int64]webhook.ForwardResult
	sel      int
	newAbove int           // events that came in above the selection since the user last looked there
	relays   map[int64]int // how many relay answers each event has had (R adds one)
	vp       viewport.Model
	w, h     int
}

func newInspectorModel(c *common) inspectorModel {
	return inspectorModel{c: c, forwards: map[int64]webhook.ForwardResult{}, vp: viewport.New(0, 0)}
}

// add records a receiver event. The selection stays on the same event as new ones arrive on top,
// and the list's title counts the new ones above it, so reading an event is never interrupted.
// The oldest events go once the history is over its bounds, with their relays' answers.
func (m inspectorModel) add(ev webhook.Event) inspectorModel {
	if ev.Kind == webhook.EventForward {
		if ev.Forward != nil && !m.forgotten(ev.Forward.Seq) {
			n := make(map[int64]int, len(m.relays)+1)
			for k, v := range m.relays {
				n[k] = v
			}
			n[ev.Forward.Seq]++
			m.relays = n
			fw := make(map[int64]webhook.ForwardResult, len(m.forwards)+1)
			for k, v := range m.forwards {
				fw[k] = v
			}
			fw[ev.Forward.Seq] = *ev.Forward
			m.forwards = fw
		}
		return m // View draws the answer; the body on show is the same
	}
	m.items = append([]webhook.Event{ev}, m.items...)
	m.total++
	m.bytes += ev.Size()
	if len(m.items) > 1 {
		m.sel++
		m.newAbove++
	}
	m = m.trim()
	if len(m.items) == 1 || m.sel >= len(m.items) {
		return m.refresh(true) // the first event, or the one on show was dropped
	}
	return m // the same event stays on show: its body is not laid out again for each arrival
}

// trim drops the oldest events while the history is over its bounds (the newest always stays),
// and the relay answers of the events dropped.
func (m inspectorModel) trim() inspectorModel {
	n := len(m.items)
	for n > 1 && (n > inspectorKeep || m.bytes > inspectorKeepBytes) {
		n--
		m.bytes -= m.items[n].Size()
	}
	if n == len(m.items) {
		return m
	}
	clear(m.items[n:]) // add made this array: nothing else holds the events dropped
	m.items = m.items[:n:n]
	m.newAbove = min(m.newAbove, n-1)
	fw, relays := make(map[int64]webhook.ForwardResult, len(m.forwards)), make(map[int64]int, len(m.relays))
	for k, v := range m.forwards {
		if !m.forgotten(k) {
			fw[k] = v
		}
	}
	for k, v := range m.relays {
		if !m.forgotten(k) {
			relays[k] = v
		}
	}
	m.forwards, m.relays = fw, relays
	return m
}

// forgotten says whether the event seq is older than every event kept.
func (m inspectorModel) forgotten(seq int64) bool {
	return len(m.items) > 0 && seq < m.items[len(m.items)-1].Seq
}

// opened is the inspector as w shows it: on the newest event, nothing left unannounced.
func (m inspectorModel) opened() inspectorModel {
	if m.sel != 0 {
		m.sel = 0
		m = m.refresh(true)
	}
	m.newAbove = 0
	return m
}

// canResend says whether R has something to do: a --forward-to target and a verified webhook selected.
func (m inspectorModel) canResend() bool {
	if m.c.cfg.ForwardTo == "" || len(m.items) == 0 || m.sel >= len(m.items) {
		return false
	}
	ev := m.items[m.sel]
	return ev.Kind == webhook.EventWebhook && ev.Verified
}

// count is how many events came, listed or no longer kept.
func (m inspectorModel) count() int { return m.total }

// listWidth is the width of the event list column.
func (m inspectorModel) listWidth() int { return min(44, m.w/2) }

func (m *inspectorModel) setSize(w, h int) {
	m.w, m.h = w, h
	m.vp.Width = max(1, w-m.listWidth()-3)
	m.vp.Height = max(1, h-3)
	*m = m.refresh(false)
}

// jsonHeight is what the JSON gets under the selected event's detail, which wraps (a long
// refusal reason, a relay's error) rather than being cut.
func (m inspectorModel) jsonHeight() int {
	dh := 2
	if len(m.items) > 0 && m.sel >= 0 && m.sel < len(m.items) {
		dh = lipgloss.Height(strings.Join(m.detail(m.items[m.sel], max(1, m.w-m.listWidth()-1)), "\n"))
	}
	return max(1, m.h-1-dh)
}

// refresh puts the selected event's JSON in the viewport (top, when the selection changed).
func (m inspectorModel) refresh(top bool) inspectorModel {
	if len(m.items) == 0 {
		m.vp.SetContent(m.c.styles.Muted.Render("No webhooks yet."))
		return m
	}
	m.sel = max(0, min(m.sel, len(m.items)-1))
	m.vp.Height = m.jsonHeight()
	m.vp.SetContent(wrapIndented(eventBody(m.items[m.sel]), max(1, m.vp.Width)))
	if top {
		m.vp.GotoTop()
	}
	return m
}

func (m inspectorModel) update(msg tea.KeyMsg, k keyMap) (inspectorModel, tea.Cmd) {
	switch {
	case key.Matches(msg, k.Up):
		if m.sel > 0 {
			m.sel--
			m.newAbove = min(m.newAbove, m.sel)
			m = m.refresh(true)
		}
	case key.Matches(msg, k.Resend):
		if !m.canResend() {
			return m, nil
		}
		seq := m.items[m.sel].Seq
		return m, resendCmd(m.c.env, seq)
	case key.Matches(msg, k.Down):
		if m.sel < len(m.items)-1 {
			m.sel++
			m = m.refresh(true)
		}
	case key.Matches(msg, k.PageUp):
		m.vp.PageUp()
	case key.Matches(msg, k.PageDown):
		m.vp.PageDown()
	}
	return m, nil
}

// row is one line of the event list: a mark first (✓ verified, ✗ not verified or rejected,
// = duplicate, · not a webhook), so it survives truncation in a narrow list.
func (m inspectorModel) row(ev webhook.Event) string {
	s := m.c.styles
	what := "?"
	switch ev.Kind {
	case webhook.EventWebhook:
		if w := ev.Webhook; w != nil {
			what = w.WebhookCode
			if w.WebhookType != "LINK" {
				what = w.WebhookType + " " + w.WebhookCode
			}
		}
	case webhook.EventRejected:
		what = "rejected: " + ev.Reason
	case webhook.EventComplete:
		what = "GET /complete"
	}
	mark := s.OK.Render("✓")
	switch {
	case ev.Kind == webhook.EventRejected:
		mark = s.Bad.Render("✗")
	case ev.Kind == webhook.EventComplete:
		mark = s.Muted.Render("·")
	case !ev.Verified:
		mark = s.Bad.Render("✗")
	case ev.Duplicate:
		mark = s.Warn.Render("=")
	}
	if ev.Attempt > 1 {
		what += fmt.Sprintf(" (attempt %d)", ev.Attempt)
	}
	fw := ""
	if f, ok := m.forwards[ev.Seq]; ok {
		fw = " " + forwardShort(f)
	}
	return fmt.Sprintf("%s #%d %s %s%s", mark, ev.Seq, ev.At.UTC().Format("15:04:05"), inert(what), fw)
}

// retryText names a delivery's arrival after its first ("" for the first): Plaid re-sends a
// webhook that was not answered 200 within 10 s, with the same body and a fresh JWT.
func retryText(attempt int) string {
	if attempt < 2 {
		return ""
	}
	return fmt.Sprintf(" · attempt %d (retry)", attempt)
}

func forwardShort(f webhook.ForwardResult) string {
	if f.Err != "" {
		return "→ failed"
	}
	return fmt.Sprintf("→%d", f.StatusCode)
}

// detail is the header above the JSON: verification and the forward target's answer.
func (m inspectorModel) detail(ev webhook.Event, width int) []string {
	s := m.c.styles
	var out []string
	head := fmt.Sprintf("#%d · HTTP %d answered", ev.Seq, ev.Status)
	reason := inert(ev.Reason)
	switch {
	case ev.Kind == webhook.EventRejected:
		out = append(out, para(s.Bad, head+" · rejected: "+reason, width))
	case ev.Kind == webhook.EventComplete:
		out = append(out, s.Text.Render(fit(head+" · the completion page was opened", width)))
	case !ev.Verified:
		out = append(out, para(s.Bad, head+" · NOT verified: "+reason, width))
	case ev.Duplicate:
		out = append(out, s.Warn.Render(fit(head+" · verified"+retryText(ev.Attempt)+" · duplicate (ignored)", width)))
	default:
		out = append(out, s.OK.Render(fit(head+" · verified"+retryText(ev.Attempt), width)))
	}
	if f, ok := m.forwards[ev.Seq]; ok {
		line := fmt.Sprintf("forwarded: %d in %s from %s", f.StatusCode, f.Latency.Round(1e6), inert(f.URL))
		if n := m.relays[ev.Seq]; n > 1 {
			line = fmt.Sprintf("forwarded %d times, last: %d in %s from %s", n, f.StatusCode, f.Latency.Round(1e6), inert(f.URL))
		}
		st := s.OK
		if f.Err != "" {
			line = fmt.Sprintf("forward to %s failed: %s", inert(f.URL), inert(f.Err))
			st = s.Bad
		} else if f.StatusCode >= 300 {
			st = s.Warn
		}
		out = append(out, para(st, line, width))
	} else {
		out = append(out, s.Muted.Render("not forwarded"))
	}
	if ev.Kind == webhook.EventRejected {
		// What was refused is worth seeing: a forged sender, a test with the wrong content type.
		out = append(out, s.Label.Render(fit(fmt.Sprintf("the body it sent (%d bytes, up to 4 KiB kept):", max(ev.BodySize, len(ev.Body))), width)))
	}
	return out
}

// View renders the inspector in its w×h area.
func (m inspectorModel) View() string {
	s := m.c.styles
	lw := m.listWidth()
	title := fmt.Sprintf("Webhooks (%d), newest first", len(m.items))
	if m.total > len(m.items) {
		title = fmt.Sprintf("Webhooks (latest %d of %d), newest first", len(m.items), m.total)
	}
	list := []string{
		s.Title.Render(fit(title, lw)),
		s.Muted.Render(fit("✓ verified ✗ unverified = dup · not hook", lw)),
	}
	// Keep the selected row on screen when the list is longer than the pane.
	rows := max(1, m.h-2)
	start := 0
	if m.sel >= rows {
		start = m.sel - rows + 1
	}
	for i := start; i < len(m.items) && i < start+rows; i++ {
		r := fit(m.row(m.items[i]), lw-2)
		if i == m.sel {
			list = append(list, s.ListSel.Render("› "+r))
		} else {
			list = append(list, s.ListItem.Render("  "+r))
		}
	}
	if len(m.items) == 0 {
		list = append(list, s.Muted.Render("  none yet"))
	}
	if m.newAbove > 0 {
		// Said under the title, the cursor staying put: ↑ reaches them.
		list[1] = s.Warn.Render(fit(fmt.Sprintf("↑ %d new above", m.newAbove), lw))
	}
	rw := max(1, m.w-lw-1)
	var right []string
	if len(m.items) > 0 {
		right = append(right, m.detail(m.items[m.sel], rw)...)
	} else {
		right = append(right, "", "")
	}
	vp := m.vp
	vp.Height = m.jsonHeight() // the detail above may have grown since refresh (a relay's answer)
	right = append(right, vp.View())
	lblock := lipgloss.NewStyle().Width(lw).Render(strings.Join(list, "\n"))
	return clip(lipgloss.JoinHorizontal(lipgloss.Top, lblock, " ", strings.Join(right, "\n")), m.w, m.h)
}

// eventBody is an event's body as the viewport shows it: pretty JSON (prettyBody), or for a body
// the receiver cut (over webhook.BodyKeep), its size and its start as text, with the public tokens
// the webhook names masked, since it cannot be parsed.
func eventBody(ev webhook.Event) string {
	if !ev.BodyCut() || ev.Kind == webhook.EventRejected {
		return prettyBody(ev.Body)
	}
	text := string(ev.Body)
	if w := ev.Webhook; w != nil {
		for _, t := range append([]string{w.PublicToken}, w.PublicTokens...) {
			if t != "" {
				text = strings.ReplaceAll(text, t, secret.Mask(t))
			}
		}
	}
	return fmt.Sprintf("(%d bytes; only the first %d KiB kept)\n", ev.BodySize, len(ev.Body)>>10) + inertBlock(text) + " …"
}

// prettyBody indents a webhook body and masks the public tokens in it (they can be exchanged for
// an access token, so they are never shown in full). A body that is not JSON is shown as it came,
// made inert: anyone who knows the webhook URL can POST one.
func prettyBody(body []byte) string {
	if len(body) == 0 {
		return "(empty body)"
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "(not JSON) " + inertBlock(string(body))
	}
	v = maskTokens("", v)
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return inertBlock(string(body))
	}
	// encoding/json escapes C0 controls but not DEL, C1 or bidi marks.
	return inertBlock(string(out))
}

func maskTokens(key string, v any) any {
	isToken := key == "public_token" || key == "public_tokens" || key == "access_token"
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			x[k] = maskTokens(k, vv)
		}
		return x
	case []any:
		for i, vv := range x {
			if isToken {
				if s, ok := vv.(string); ok {
					x[i] = secret.Mask(s)
					continue
				}
			}
			x[i] = maskTokens("", vv)
		}
		return x
	case string:
		if isToken {
			return secret.Mask(x)
		}
	}
	return v
}

// wrapIndented wraps each line of an indented text (pretty JSON) to width, continuing a long line
// under its own indent plus two, so a long string stays visibly inside its object.
func wrapIndented(text string, width int) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if ansi.StringWidth(l) <= width {
			out = append(out, l)
			continue
		}
		ind := len(l) - len(strings.TrimLeft(l, " "))
		cont := min(ind+2, width/2)
		// Hard breaks: a JSON line is a key and a value, and a word break would part them.
		first := ansi.Hardwrap(l, width, true)
		parts := strings.SplitN(first, "\n", 2)
		out = append(out, parts[0])
		if len(parts) == 2 {
			rest := strings.ReplaceAll(parts[1], "\n", "")
			for _, p := range strings.Split(ansi.Hardwrap(rest, max(1, width-cont), true), "\n") {
				out = append(out, strings.Repeat(" ", cont)+p)
			}
		}
	}
	return strings.Join(out, "\n")
}
