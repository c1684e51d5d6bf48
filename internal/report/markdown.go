package report

import (
	"fmt"
	"strings"
	"time"
)

// maxBodies is how many calls and webhooks the report shows with their bodies.
const maxBodies = 100

// Markdown renders r as a Markdown report that GitHub (and any viewer with Mermaid) shows as is.
func Markdown(r Run) []byte {
	var b strings.Builder
	title := r.Title
	if title == "" {
		title = r.Scenario
	}
	fmt.Fprintf(&b, "# Link Recovery report: %s\n\n", md(title))
	summary(&b, r)
	checklist(&b, r)
	b.WriteString("## What happened\n\n")
	b.WriteString(fenced(strings.TrimSuffix(Diagram(r), "\n"), "mermaid"))
	b.WriteString("\n")
	item(&b, r)
	bodies(&b, r)
	return []byte(b.String())
}

func summary(b *strings.Builder, r Run) {
	switch v := r.Verdict; {
	case v == nil:
		b.WriteString("- **Verdict:** ⏳ not finished\n")
	case v.Passed && v.Reason != "":
		// The scenario's own reason: not every pass brings a public token (leave passes on none).
		fmt.Fprintf(b, "- **Verdict:** ✅ passed: %s\n", md(v.Reason))
	case v.Passed:
		fmt.Fprintf(b, "- **Verdict:** ✅ passed%s\n", via(v.Via, r.learnt()))
	default:
		fmt.Fprintf(b, "- **Verdict:** ❌ failed%s\n", via(v.Via, r.learnt()))
		if v.Reason != "" {
			fmt.Fprintf(b, "- **Reason:** %s\n", md(v.Reason))
		}
	}
	if r.Scenario != "" {
		fmt.Fprintf(b, "- **Scenario:** %s\n", code(r.Scenario))
	}
	switch r.Mode {
	case ModeDemo:
		b.WriteString("- **Mode:** demo, against the built-in Plaid Sandbox emulator")
	case ModeSandbox:
		b.WriteString("- **Mode:** sandbox, against the Plaid Sandbox")
	default:
		fmt.Fprintf(b, "- **Mode:** %s", md(string(r.Mode)))
	}
	if r.PlaidURL != "" {
		fmt.Fprintf(b, " at %s", code(r.PlaidURL))
	}
	b.WriteString("\n")
	if !r.Started.IsZero() {
		fmt.Fprintf(b, "- **When:** %s", r.Started.UTC().Format("2006-01-02 15:04:05 UTC"))
		if !r.Ended.IsZero() {
			fmt.Fprintf(b, " to %s (%s)", r.Ended.UTC().Format("15:04:05"), duration(r.Ended.Sub(r.Started)))
		}
		b.WriteString("\n")
	}
	if r.LinkToken != "" {
		fmt.Fprintf(b, "- **Link token:** %s\n", code(maskToken(r.LinkToken)))
	}
	if r.Webhook != "" {
		fmt.Fprintf(b, "- **Webhook:** %s\n", code(r.Webhook))
	}
	b.WriteString("\n")
}

// via says how what (Run.learnt) came, for the verdict.
func via(how, what string) string {
	switch how {
	case "":
		return ""
	case "webhook":
		return ": the " + what + " came by a verified `SESSION_FINISHED` webhook"
	case "polling":
		return ": the " + what + " came by polling `/link/token/get`, not by the webhook"
	}
	return ", via " + md(how)
}

func checklist(b *strings.Builder, r Run) {
	if len(r.Checklist) == 0 {
		return
	}
	b.WriteString("## Checklist\n\n| | Step | When |\n|:-:|---|---|\n")
	for _, c := range r.Checklist {
		mark, text := "⬜", md(c.Text)
		switch {
		case c.Done:
			mark = "✅"
		case c.Failed:
			mark = "❌"
		}
		if c.ByHand {
			text += " (ticked by hand)"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", mark, text, r.when(c.At))
	}
	b.WriteString("\n")
}

// when is a time of the run: the clock (UTC) and how long after the start.
func (r Run) when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	s := t.UTC().Format("15:04:05")
	if !r.Started.IsZero() && !t.Before(r.Started) {
		s += " (+" + duration(t.Sub(r.Started)) + ")"
	}
	return s
}

func item(b *strings.Builder, r Run) {
	it := r.Item
	if it == nil {
		return
	}
	b.WriteString("## The Item\n\n")
	fmt.Fprintf(b, "Item %s", code(maskToken(it.ItemID)))
	switch {
	case it.InstitutionName != "" && it.InstitutionID != "":
		fmt.Fprintf(b, " at %s (%s)", md(it.InstitutionName), code(it.InstitutionID))
	case it.InstitutionName != "":
		fmt.Fprintf(b, " at %s", md(it.InstitutionName))
	case it.InstitutionID != "":
		fmt.Fprintf(b, " at %s", code(it.InstitutionID))
	}
	fmt.Fprintf(b, ", %s.\n\n", plural(len(it.Accounts), "account"))
	if len(it.Accounts) == 0 {
		return
	}
	b.WriteString("| Account | Name | Number | Type | Balance |\n|---|---|---|---|--:|\n")
	for _, a := range it.Accounts {
		kind := a.Type
		if a.Subtype != "" {
			kind = strings.TrimPrefix(kind+" / "+a.Subtype, " / ")
		}
		bal := "—"
		if a.Balance != nil {
			bal = fmt.Sprintf("%.2f", *a.Balance)
		}
		number := "—"
		if a.Mask != "" {
			number = code("••" + a.Mask)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", code(maskToken(a.ID)), md(a.Name), number, md(kind), bal)
	}
	b.WriteString("\n")
}

func bodies(b *strings.Builder, r Run) {
	var shown, left int
	n := 0
	evs := r.Events
	for i := 0; i < len(evs); i++ {
		switch e := evs[i].(type) {
		case Call:
			k := 1 // consecutive calls alike (polls): the last one stands for them
			for i+k < len(evs) && sameCall(e, evs[i+k]) {
				k++
			}
			last := evs[i+k-1].(Call)
			i += k - 1
			n++
			if shown >= maxBodies {
				left++
				continue
			}
			shown++
			heading(b, n, r, last.At, callTitle(last, k, e))
			if last.Err != "" {
				fmt.Fprintf(b, "No answer: %s\n\n", md(last.Err))
			}
			section(b, "Request", last.Request, last.reqCut)
			section(b, "Response", last.Response, last.respCut)
		case Webhook:
			n++
			if shown >= maxBodies {
				left++
				continue
			}
			shown++
			heading(b, n, r, e.At, webhookTitle(e))
			if !e.Verified {
				reason := e.Reason
				if reason == "" {
					reason = "not verified"
				}
				fmt.Fprintf(b, "Refused: %s\n\n", md(reason))
			}
			section(b, "Body", e.Body, e.cut)
		}
	}
	if left > 0 {
		fmt.Fprintf(b, "%d more calls and webhooks are not shown (the report shows %d).\n\n", left, maxBodies)
	}
	if r.Dropped > 0 {
		fmt.Fprintf(b, "%d later events are not in this report (a run keeps at most %d).\n\n", r.Dropped, MaxEvents)
	}
}

func heading(b *strings.Builder, n int, r Run, at time.Time, title string) {
	if n == 1 {
		b.WriteString("## Calls and webhooks\n\n")
	}
	fmt.Fprintf(b, "### %d. %s\n\n", n, title)
	if !at.IsZero() {
		fmt.Fprintf(b, "At %s.\n\n", r.when(at))
	}
}

func callTitle(last Call, k int, first Call) string {
	t := md(strings.TrimSpace(last.Method + " " + last.Endpoint))
	switch {
	case last.Status == 0:
		t += " · no answer"
	default:
		t += fmt.Sprintf(" · %d", last.Status)
	}
	if last.Duration > 0 {
		t += " · " + duration(last.Duration)
	}
	if k > 1 {
		t += fmt.Sprintf(" · the last of %d alike since %s", k, first.At.UTC().Format("15:04:05"))
	}
	return t
}

func webhookTitle(w Webhook) string {
	t := "Webhook"
	if name := strings.TrimSpace(w.Type + " " + w.Code); name != "" {
		t += " " + md(name)
	}
	if w.Status != "" {
		t += " · " + md(w.Status)
	}
	switch {
	case !w.Verified:
		t += " · refused"
	case w.Duplicate:
		t += " · verified, duplicate"
	default:
		t += " · verified"
	}
	return t
}

func section(b *strings.Builder, label string, body []byte, cut int) {
	text, lang := bodyText(body, cut)
	if text == "" {
		return
	}
	fmt.Fprintf(b, "%s:\n\n%s\n", label, fenced(text, lang))
}

// duration is short and steady: 84 ms, 2.5 s, 1m05s.
func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	d = d.Round(time.Second)
	if d >= time.Hour {
		return fmt.Sprintf("%dh%02dm%02ds", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
