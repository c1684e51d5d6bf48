package env

import (
	"context"
	"errors"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/flows"
)

// ErrNoEmulator means a demo-only step was asked for outside demo mode.
var ErrNoEmulator = errors.New("this needs the local emulator, which only runs in demo mode (unset PLAID_CLIENT_ID/PLAID_SECRET)")

// CanDrive says whether the Env has the local emulator, which can walk Hosted Link sessions and
// bring a bank back on demand (demo mode).
func (e *Env) CanDrive() bool { return e != nil && e.Emulator != nil }

// CompleteSession walks a Hosted Link session with the emulator, as a person on a phone would.
func (e *Env) CompleteSession(ctx context.Context, url string, l flows.Login) error {
	if !e.CanDrive() {
		return ErrNoEmulator
	}
	return e.Emulator.CompleteSession(ctx, url, credentials(l))
}

// StepSession submits one page of a Hosted Link session with the emulator (the presenter's step
// by step).
func (e *Env) StepSession(ctx context.Context, url string, l flows.Login) (flows.PageStep, error) {
	if !e.CanDrive() {
		return flows.PageStep{}, ErrNoEmulator
	}
	st, err := e.Emulator.StepSession(ctx, url, credentials(l))
	return flows.PageStep{From: flows.Page(st.From), To: flows.Page(st.To), Ended: st.Ended}, err
}

// credentials is the emulator's form of the core's Login.
func credentials(l flows.Login) emulator.Credentials {
	return emulator.Credentials{InstitutionID: l.InstitutionID, Username: l.Username, Password: l.Password,
		Email: l.Email, Code: l.Code, Exit: l.Exit}
}

// RestoreBank brings every down institution back; the emulator then sends the recovery e-mails.
// It returns the e-mails sent now and the whole inbox.
func (e *Env) RestoreBank() (sent, inbox []flows.Email, err error) {
	if !e.CanDrive() {
		return nil, nil, ErrNoEmulator
	}
	s, err := e.Emulator.RestoreInstitution("")
	if err != nil {
		return nil, nil, err
	}
	return emails(s), emails(e.Emulator.Inbox()), nil
}

func emails(in []emulator.Email) []flows.Email {
	out := make([]flows.Email, 0, len(in))
	for _, m := range in {
		out = append(out, flows.Email{ID: m.ID, To: m.To, Subject: m.Subject, URL: m.URL, InstitutionID: m.InstitutionID,
			InstitutionName: m.InstitutionName, LinkToken: m.LinkToken, SentAt: m.SentAt})
	}
	return out
}
