package testkit

import (
	"bytes"
	"sync"
	"testing"

	"github.com/bankdown/linkrecovery/flows"
)

// Recorder keeps a run's records (as --no-tui prints them, and as values) and its events, and lets
// a test wait for one.
type Recorder struct {
	t testing.TB
	// Check, when set, sees each record as it comes (a schema check, say).
	Check func(testing.TB, flows.Record)

	mu     sync.Mutex
	recs   []flows.Record
	events []flows.Event
	out    bytes.Buffer
	line   func(flows.Record)
	more   chan struct{} // closed (and replaced) at each record: every waiter wakes
}

// NewRecorder is an empty Recorder.
func NewRecorder(t testing.TB) *Recorder {
	r := &Recorder{t: t, more: make(chan struct{})}
	r.line = flows.JSONLines(lockedBuffer{r})
	return r
}

type lockedBuffer struct{ r *Recorder }

func (l lockedBuffer) Write(p []byte) (int, error) {
	l.r.mu.Lock()
	defer l.r.mu.Unlock()
	return l.r.out.Write(p)
}

// Emit records a record: it is an emit func for env.RunHeadless.
func (r *Recorder) Emit(rec flows.Record) {
	if r.Check != nil {
		r.Check(r.t, rec)
	}
	r.line(rec)
	r.mu.Lock()
	r.recs = append(r.recs, rec)
	close(r.more)
	r.more = make(chan struct{})
	r.mu.Unlock()
}

// Event records an event: it is an OnEvent func for env.RunOptions.
func (r *Recorder) Event(ev flows.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// All are the records so far.
func (r *Recorder) All() []flows.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]flows.Record(nil), r.recs...)
}

// Events are the events so far.
func (r *Recorder) Events() []flows.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]flows.Event(nil), r.events...)
}

// Text is the records as JSON lines, as --no-tui prints them.
func (r *Recorder) Text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// WaitFor returns the first record matching pred, waiting for it up to Wait, and fails the test
// without one.
func (r *Recorder) WaitFor(pred func(flows.Record) bool) flows.Record {
	r.t.Helper()
	rec, ok := r.Await(pred)
	if !ok {
		r.t.Fatalf("no matching record within %s; got:\n%s", Wait, r.Text())
	}
	return rec
}

// Await is WaitFor for any goroutine: ok is false when no record matched within Wait.
func (r *Recorder) Await(pred func(flows.Record) bool) (flows.Record, bool) {
	deadline := Deadline()
	for {
		r.mu.Lock()
		recs, more := append([]flows.Record(nil), r.recs...), r.more
		r.mu.Unlock()
		for _, rec := range recs {
			if pred(rec) {
				return rec, true
			}
		}
		select {
		case <-more:
		case <-deadline:
			return nil, false
		}
	}
}

// Find are the records of event.
func Find(recs []flows.Record, event string) []flows.Record {
	var out []flows.Record
	for _, r := range recs {
		if r["event"] == event {
			out = append(out, r)
		}
	}
	return out
}

// Names are the records' event names, in order.
func Names(recs []flows.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r["event"].(string))
	}
	return out
}

// IsEvent matches the records of event.
func IsEvent(event string) func(flows.Record) bool {
	return func(r flows.Record) bool { return r["event"] == event }
}

// AssertOrder checks that want appear in recs in this order (other records may come between).
func AssertOrder(t testing.TB, recs []flows.Record, want ...string) {
	t.Helper()
	i := 0
	for _, r := range recs {
		if i < len(want) && r["event"] == want[i] {
			i++
		}
	}
	if i != len(want) {
		t.Fatalf("records %v do not contain %v in order", Names(recs), want)
	}
}
