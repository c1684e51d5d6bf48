package flows

import (
	"context"
	"errors"
	"time"

	"github.com/bankdown/linkrecovery/emulator"
)

// Email is a recovery e-mail the demo's emulator "sent": its link opens the recovery session.
type Email struct {
	ID              string
	To              string
	Subject         string
	URL             string
	InstitutionID   string
	InstitutionName string
	LinkToken       string // the original link token, whose webhook gets the recovery SESSION_FINISHED
	SentAt          time.Time
}

// ErrNoEmulator means a demo-only step was asked for outside demo mode.
var ErrNoEmulator = errors.New("this needs the local emulator, which only runs in demo mode (unset PLAID_CLIENT_ID/PLAID_SECRET)")

// CanDrive says whether the Env has the local emulator, which can walk Hosted Link sessions and
// bring a bank back on demand (demo mode).
func (e *Env) CanDrive() bool { return e != nil && e.Emulator != nil }

// CompleteSession walks a Hosted Link session with the emulator, as a person on a phone would.
func (e *Env) CompleteSession(ctx context.Context, url string, c emulator.Credentials) error {
	if !e.CanDrive() {
		return ErrNoEmulator
	}
	return e.Emulator.CompleteSession(ctx, url, c)
}

// RestoreBank brings every down institution back; the emulator then sends the recovery e-mails.
// It returns the e-mails sent now and the whole inbox.
func (e *Env) RestoreBank() (sent, inbox []Email, err error) {
	if !e.CanDrive() {
		return nil, nil, ErrNoEmulator
	}
	s, err := e.Emulator.RestoreInstitution("")
	if err != nil {
		return nil, nil, err
	}
	return emails(s), emails(e.Emulator.Inbox()), nil
}

func emails(in []emulator.Email) []Email {
	out := make([]Email, 0, len(in))
	for _, m := range in {
		out = append(out, Email{ID: m.ID, To: m.To, Subject: m.Subject, URL: m.URL, InstitutionID: m.InstitutionID,
			InstitutionName: m.InstitutionName, LinkToken: m.LinkToken, SentAt: m.SentAt})
	}
	return out
}
