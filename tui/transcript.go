package tui

import (
	"github.com/bankdown/linkrecovery/flows"
)

// The transcript (--transcript) gets the records of the runs' events, written by the same
// formatter as a headless run's (flows.RecordOf). They queue on the model and are written in
// order by one Cmd at a time (finalize), never from Update itself.

// record queues a transcript record (written in order by finalize).
func (m *model) record(r flows.Record) {
	if m.transcript == nil || r == nil {
		return
	}
	m.records = append(m.records, r)
}

// takeEmitted queues the records of what the runs established during this Update. A receiver
// event reaches every run and each one reports it; only one of those reports is kept (from
// eventFrom on in c.emitted): the one of a run the event concerns, else the first.
func (m *model) takeEmitted(eventFrom int) {
	em := m.c.emitted
	m.c.emitted = nil
	m.presenter = m.presenter.add(em) // every run's own events, before receiver facts are deduplicated
	m.summary = m.summary.add(em)
	if eventFrom >= 0 && eventFrom < len(em) {
		keep := -1
		for i := eventFrom; i < len(em); i++ {
			if isReceiverFact(em[i].Fact) && (keep < 0 || other(em[keep].Fact) && !other(em[i].Fact)) {
				keep = i
			}
		}
		out := append([]flows.Event(nil), em[:eventFrom]...)
		for i := eventFrom; i < len(em); i++ {
			if i == keep || !isReceiverFact(em[i].Fact) {
				out = append(out, em[i])
			}
		}
		em = out
	}
	for _, ev := range em {
		m.record(flows.RecordOf(ev))
	}
}

// isReceiverFact says whether a fact is the report of a receiver event.
func isReceiverFact(f flows.Fact) bool {
	switch f.(type) {
	case flows.WebhookSeen, flows.Relayed, flows.RequestRefused, flows.CompletionPage:
		return true
	}
	return false
}

// other says whether a fact is about a webhook for another run's token.
func other(f flows.Fact) bool {
	w, ok := f.(flows.WebhookSeen)
	return ok && w.Other
}
