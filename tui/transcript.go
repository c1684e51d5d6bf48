package tui

import (
	"github.com/bankdown/linkrecovery/flows"
)

// The transcript (--transcript) gets the records the halves' machines emit, the same records a
// headless run of the same half writes (flows.Machine makes both). They queue on the model and are
// written in order by one Cmd at a time (finalize), never from Update itself.

// record queues a transcript record (written in order by finalize).
func (m *model) record(r flows.Record) {
	if m.transcript == nil {
		return
	}
	m.records = append(m.records, r)
}

// takeEmitted queues what the machines emitted during this Update. A receiver event reaches every
// half's machine and each one records it; only one of those records is kept (from from on in
// c.emitted): the one of a half the event concerns, else the first.
func (m *model) takeEmitted(eventFrom int) {
	em := m.c.emitted
	m.c.emitted = nil
	if eventFrom >= 0 && eventFrom < len(em) {
		keep := -1
		for i := eventFrom; i < len(em); i++ {
			if isEventRecord(em[i].rec) && (keep < 0 || (em[keep].rec["other_link_token"] != nil && em[i].rec["other_link_token"] == nil)) {
				keep = i
			}
		}
		var out []halfRecord
		out = append(out, em[:eventFrom]...)
		for i := eventFrom; i < len(em); i++ {
			if i == keep || !isEventRecord(em[i].rec) {
				out = append(out, em[i])
			}
		}
		em = out
	}
	for _, hr := range em {
		m.record(hr.rec)
	}
}

// isEventRecord says whether a record is the record of a receiver event (flows.EventRecord).
func isEventRecord(r flows.Record) bool {
	switch r["event"] {
	case "webhook", "forwarded":
		return true
	case "error":
		return r["step"] == "receiver"
	}
	return false
}
