package flows

import (
	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/webhook"
)

// Scenario is one half of Link Recovery testing: what the person does in Link, the credentials
// for it, its checklist and its pass rule. The Machine runs the parts every half shares (tunnel,
// token, polling, webhook records, the SESSION_FINISHED wait and its clock); a Scenario's hooks
// decide the rest. A new scenario is one file in flows (a type with these methods) and a line in
// Scenarios; see the README.
type Scenario interface {
	Half() Half
	// Title names the half on menus and screens ("Half 1 · Sign-up"); About says in a line what
	// the person does; Goal is the screen's heading.
	Title() string
	About() string
	Goal() string
	// Credentials are the Sandbox credentials the person types, one card per row (nil: none).
	Credentials() []CredentialCard
	// AutoCredentials are what the emulator types for --auto and the a key.
	AutoCredentials() emulator.Credentials
	// Checklist is the half's own steps so far (the SESSION_FINISHED wait is the Machine's Fin).
	Checklist(m *Machine) []CheckItem

	newState() any
	tokenCreated(s *stepper)
	polled(s *stepper, st TokenStatus)
	webhook(s *stepper, ev webhook.Event)
	sessionExited(s *stepper, exit string)
	deadline(s *stepper, t Timer)
	autoCompleted(s *stepper, recovery bool)
	restored(s *stepper, sent, inbox []Email)
	restoreFailed(s *stepper, err error)
	intent(s *stepper, k IntentKind)
	autoTarget(m *Machine) (url string, c emulator.Credentials, recovery, ok bool)
	waitingFor(m *Machine) string
}

// Login is a set of credentials the emulator types into Hosted Link (the emulator's own type, so
// that drivers need not import the emulator).
type Login = emulator.Credentials

// CredentialCard is one row of credentials: a title and its copyable values.
type CredentialCard struct {
	Title string
	Items []Credential
}

// Credential is one copyable value.
type Credential struct{ Label, Value string }

// CheckItem is one line of a half's checklist.
type CheckItem struct {
	Done     bool // seen, or ticked by hand
	Reported bool // seen: Plaid reported it
	ByHand   bool // ticked by hand (m)
	Text     string
}

// Scenarios are the halves, in menu order. Add a new scenario here.
var Scenarios = []Scenario{SignupScenario{}, SessionScenario{}}

// ScenarioFor returns the scenario of half h.
func ScenarioFor(h Half) (Scenario, bool) {
	for _, sc := range Scenarios {
		if sc.Half() == h {
			return sc, true
		}
	}
	return nil, false
}

// noState is the per-half state of a scenario that needs none.
type noState struct{}

// The hooks a scenario may leave as they are.
type baseScenario struct{}

func (baseScenario) newState() any                         { return noState{} }
func (baseScenario) tokenCreated(*stepper)                 {}
func (baseScenario) polled(*stepper, TokenStatus)          {}
func (baseScenario) webhook(*stepper, webhook.Event)       {}
func (baseScenario) sessionExited(*stepper, string)        {}
func (baseScenario) deadline(*stepper, Timer)              {}
func (baseScenario) autoCompleted(*stepper, bool)          {}
func (baseScenario) restored(*stepper, []Email, []Email)   {}
func (baseScenario) restoreFailed(s *stepper, err error)   { s.fail("restore", err) }
func (baseScenario) intent(*stepper, IntentKind)           {}
func (baseScenario) Credentials() []CredentialCard         { return nil }
func (baseScenario) Checklist(*Machine) []CheckItem        { return nil }
func (baseScenario) waitingFor(*Machine) string            { return "SESSION_FINISHED" }
func (baseScenario) AutoCredentials() emulator.Credentials { return AutoSessionCredentials }
