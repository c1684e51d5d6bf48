package emulator

import "time"

// DefaultAbandonedSessionDelay is when an unfinished Hosted Link session's EVENTS webhook goes out
// after its last interaction: Plaid fires it "5-15 minutes after the last user interaction"; the
// emulator takes the middle.
const DefaultAbandonedSessionDelay = 10 * time.Minute

// armAbandonLocked (re)starts the session's abandonment timer after an interaction, on the
// emulator's clock. When it falls due and nothing has happened since, the session's EVENTS webhook
// goes out with every event so far; if the user comes back and finishes later, the final EVENTS
// repeats them, as Plaid's spec describes ("the new webhook will contain all previous events for
// the session, as well as new events").
func (e *Emulator) armAbandonLocked(s *session) {
	if e.closed || s.Status != "" {
		return
	}
	e.cancelLocked(s.abandon)
	seen := len(s.Events)
	s.abandon = e.scheduleLocked(e.now().Add(e.abandonAfter), func() { e.abandoned(s, seen) })
}

// abandoned sends the EVENTS webhook of a session the user walked away from, unless it has finished
// or moved on since the timer was armed (a later timer then covers it).
func (e *Emulator) abandoned(s *session, seen int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || s.Status != "" || len(s.Events) != seen {
		return
	}
	s.abandon = nil
	e.logf("link session %s: no interaction for %s; sending its EVENTS webhook as Plaid does for an abandoned session", s.ID, e.abandonAfter)
	e.eventsWebhookLocked(s)
}

// disarmAbandonLocked stops the timer of a session that has finished.
func (e *Emulator) disarmAbandonLocked(s *session) {
	e.cancelLocked(s.abandon)
	s.abandon = nil
}

// preciseTimestamp formats t as Plaid does for a Link session's started_at and finished_at: RFC 3339
// in UTC with fractional seconds.
func preciseTimestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
