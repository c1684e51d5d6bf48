package flows

// SessionScenario is Link Recovery's half 2: finish a Hosted Link session and receive a verified
// SESSION_FINISHED, then exchange its public token. It passes when the Item came by that webhook.
type SessionScenario struct{ Base }

// Info describes the half.
func (SessionScenario) Info() Info {
	return Info{
		Name:  "session",
		Half:  2,
		Title: "Half 2 · Session",
		About: "finish a Hosted Link session and receive SESSION_FINISHED, then exchange",
		Goal:  "Half 2 · Session: finish Hosted Link, receive SESSION_FINISHED",
		// The Sandbox login that finishes a session with an Item, as Plaid documents it.
		Cards: []CredentialCard{{"log in", []Credential{{"username", SessionLogin.Username}, {"password", SessionLogin.Password}}}},
		Login: SessionLogin,
	}
}

// TokenCreated waits for the token's session.
func (SessionScenario) TokenCreated(c *Ctx) { c.Await(c.State().Token.Token, false) }

// Polled ends a run that gives up when /link/token/get shows a session that exited without an
// Item. A session shown finished with neither results nor an exit yet is still in progress: Plaid
// fills them in after finished_at.
func (SessionScenario) Polled(c *Ctx, st TokenStatus) {
	s := c.State()
	if st.FirstPublicToken() != "" || s.Done() || !s.Opts.GiveUp {
		return
	}
	for _, ss := range st.Sessions {
		if ss.Status == "EXITED" {
			c.Fail("session", &SessionExitedError{Status: ss.Status, ExitCode: ss.ExitCode, ExitStatus: ss.ExitStatus})
			return
		}
	}
}
