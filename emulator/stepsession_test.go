package emulator

import (
	"slices"
	"strings"
	"testing"
)

// TestStepSessionWalksOnePageAtATime: each StepSession submits exactly one page of the real state
// machine, the HTML page a browser opens next agrees with where it says the session is, and the
// walks end as CompleteSession's do (the same webhooks).
func TestStepSessionWalksOnePageAtATime(t *testing.T) {
	for _, tc := range []struct {
		name  string
		creds Credentials
		want  []PageStep
		end   string // SESSION_FINISHED's status
	}{
		{"success", goodLogin, []PageStep{
			{From: "select", To: "login"}, {From: "login", To: "accounts"}, {From: "accounts", To: "success", Ended: true},
		}, "SUCCESS"},
		{"outage and opt-in", bankDown, []PageStep{
			{From: "select", To: "login"}, {From: "login", To: "down"}, {From: "down", To: "code"}, {From: "code", To: "followed", Ended: true},
		}, "EXITED"},
		{"exit", Credentials{Exit: true}, []PageStep{{From: "select", To: "exited", Ended: true}}, "EXITED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newEnv(t, Config{})
			rc := newReceiver(t)
			lt := v.linkToken(t, rc.srv.URL+"/hook", "")
			u := lt.GetHostedLinkUrl()
			var got []PageStep
			for range 10 {
				st, err := v.emu.StepSession(v.ctx, u, tc.creds)
				if err != nil {
					t.Fatalf("after %v: %v", got, err)
				}
				got = append(got, st)
				if _, page := getPage(t, v, u); stepOf(page) != st.To {
					t.Errorf("StepSession says the session is on %q; the page shows %q", st.To, stepOf(page))
				}
				if st.Ended {
					break
				}
				if n := len(rc.all()); n != 0 {
					t.Errorf("after %s → %s, %d webhook(s) came before the session ended", st.From, st.To, n)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("steps %v, want %v", got, tc.want)
			}
			finishedWith(t, rc.waitFor(t, "SESSION_FINISHED", 1), tc.end)
			// Once ended, another step says so and submits nothing.
			if _, err := v.emu.StepSession(v.ctx, u, tc.creds); err == nil || !strings.Contains(err.Error(), "already ended") {
				t.Errorf("a step after the end: %v, want 'already ended'", err)
			}
		})
	}
}

// TestStepSessionRecoveryStartsAtLogin: the recovery e-mail's session begins at its login page
// (the bank is known), so its first step is the login.
func TestStepSessionRecoveryStartsAtLogin(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	v.session(t, rc.srv.URL+"/hook", bankDown)
	mails, err := v.emu.RestoreInstitution("")
	if err != nil || len(mails) != 1 {
		t.Fatalf("restore: %v, %d e-mails", err, len(mails))
	}
	st, err := v.emu.StepSession(v.ctx, mails[0].URL, goodLogin)
	if err != nil || st != (PageStep{From: "login", To: "accounts"}) {
		t.Fatalf("first recovery step %+v, %v; want login → accounts", st, err)
	}
}

// TestStepSessionRefusals: bad credentials, unknown links and foreign URLs fail with the cause, and
// a refused page stays where it was.
func TestStepSessionRefusals(t *testing.T) {
	v := newEnv(t, Config{})
	lt := v.linkToken(t, "", "")
	u := lt.GetHostedLinkUrl()
	if _, err := v.emu.StepSession(v.ctx, u, Credentials{}); err != nil {
		t.Fatal(err) // select → login
	}
	if _, err := v.emu.StepSession(v.ctx, u, Credentials{Username: "nobody", Password: "x"}); err == nil || !strings.Contains(err.Error(), "rejected the login step") {
		t.Errorf("wrong password: %v", err)
	}
	if _, page := getPage(t, v, u); stepOf(page) != "login" {
		t.Errorf("after a refused login the page is %q, want login", stepOf(page))
	}
	if _, err := v.emu.StepSession(v.ctx, v.srv.URL+"/hosted-link/nope", Credentials{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("unknown link: %v", err)
	}
	if _, err := v.emu.StepSession(v.ctx, "https://elsewhere.example/x", Credentials{}); err == nil || !strings.Contains(err.Error(), "hosted_link_url") {
		t.Errorf("foreign URL: %v", err)
	}
}
