package flows

import "time"

// Timed is an input and when it happened.
type Timed struct {
	At time.Time
	In Input
}

// Replay runs inputs through a run of sc as a headless run does (GiveUp on), one step at a time,
// handing each event's record to emit; the effects are not performed, since their results are
// among the inputs. It reports whether the run passed. Tests use it to hold the TUI's records
// against a headless run's for the same inputs.
func Replay(sc Scenario, o Options, inputs []Timed, emit func(Record)) bool {
	o.GiveUp = true
	s := New(sc, o)
	for _, t := range inputs {
		if s.Done() {
			break
		}
		var evs []Event
		s, _, evs = Step(s, t.At, t.In)
		for _, ev := range evs {
			if r := RecordOf(ev); r != nil && emit != nil {
				emit(r)
			}
		}
	}
	return s.Done() && s.Outcome.Passed
}
