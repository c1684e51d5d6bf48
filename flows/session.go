package flows

import (
	"errors"
	"fmt"

	"github.com/bankdown/linkrecovery/emulator"
)

// SessionScenario is half 2: finish a Hosted Link session and receive a verified SESSION_FINISHED,
// then exchange its public token. It passes when the Item came by that webhook; a session that
// ends without an Item is the wrong way (a person may try again in the same link).
type SessionScenario struct{ baseScenario }

// Half is 2.
func (SessionScenario) Half() Half { return HalfSession }

// Title names the half.
func (SessionScenario) Title() string { return "Half 2 · Session" }

// About says what the person does.
func (SessionScenario) About() string {
	return "finish a Hosted Link session and receive SESSION_FINISHED, then exchange"
}

// Goal is the screen's heading.
func (SessionScenario) Goal() string {
	return "Half 2 · Session: finish Hosted Link, receive SESSION_FINISHED"
}

// Credentials are the Sandbox login that finishes a session with an Item, as Plaid documents it
// (the same the a key types in demo mode).
func (SessionScenario) Credentials() []CredentialCard {
	return []CredentialCard{
		{"log in", []Credential{{"username", emulator.UserGood}, {"password", emulator.PassGood}}},
	}
}

// AutoCredentials finish a session with an Item.
func (SessionScenario) AutoCredentials() emulator.Credentials { return AutoSessionCredentials }

func (SessionScenario) tokenCreated(s *stepper) {
	m := s.m
	m.Fin = newFinish(m.Token.Token, s.at, m.NoWebhook())
}

// polled ends the half when /link/token/get shows a session that exited without an Item. A
// session shown finished with neither results nor an exit yet is still in progress: Plaid fills
// them in after finished_at.
func (SessionScenario) polled(s *stepper, st TokenStatus) {
	if st.FirstPublicToken() != "" || s.m.Done || !s.m.o.GiveUp {
		return
	}
	for _, ss := range st.Sessions {
		if ss.Status == "EXITED" {
			s.fail("session", fmt.Errorf("the Link session ended without an Item (status %s, error %s, left at %s)",
				orDash(ss.Status), orDash(ss.ExitCode), orDash(ss.ExitStatus)))
			return
		}
	}
}

func (SessionScenario) sessionExited(s *stepper, status string) {
	if !s.m.o.GiveUp {
		return // the screen explains it, and the person may try again in the same link
	}
	s.fail("session", errors.New("the Link session finished without an Item (status "+status+")"))
}

func (SessionScenario) autoTarget(m *Machine) (string, emulator.Credentials, bool, bool) {
	if m.Token == nil || m.Done {
		return "", emulator.Credentials{}, false, false
	}
	return m.Token.HostedLinkURL, AutoSessionCredentials, false, true
}
