package emulator

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Email is a Link Recovery notification the emulator "sent".
type Email struct {
	ID              string    `json:"id"`
	To              string    `json:"to"`
	Subject         string    `json:"subject"`
	Text            string    `json:"text"`
	URL             string    `json:"url"` // opens a new Hosted Link session (the recovery session)
	InstitutionID   string    `json:"institution_id"`
	InstitutionName string    `json:"institution_name"`
	LinkToken       string    `json:"link_token"` // the original link token whose webhook gets SESSION_FINISHED
	SentAt          time.Time `json:"sent_at"`
}

// RestoreInstitution marks an institution as back up ("" means every institution that is down) and
// sends a recovery e-mail for every opt-in waiting on it. It returns the e-mails sent.
// HTTP: POST /emulator/institutions/restore {"institution_id": "..."}.
func (e *Emulator) RestoreInstitution(institutionID string) ([]Email, error) {
	if institutionID != "" {
		if _, ok := findInstitution(institutionID); !ok {
			return nil, fmt.Errorf("emulator: unknown institution %q; the Sandbox institutions are %s", institutionID, institutionList())
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if institutionID == "" {
		clear(e.down)
	} else {
		delete(e.down, institutionID)
	}
	var sent []Email
	for _, o := range e.optIns {
		if o.Notified || (institutionID != "" && o.InstitutionID != institutionID) {
			continue
		}
		o.Notified = true
		em := e.recoveryEmailLocked(o)
		e.inbox = append(e.inbox, em)
		sent = append(sent, em)
		e.logf("recovery e-mail to %s: %s is back (link token %s)", em.To, em.InstitutionName, mask(em.LinkToken))
	}
	return sent, nil
}

// recoveryEmailLocked makes the e-mail for an opt-in, with a new Hosted Link for the same link token.
func (e *Emulator) recoveryEmailLocked(o *optIn) Email {
	now := e.now()
	in, _ := findInstitution(o.InstitutionID)
	// The link goes out by e-mail, so it gets the e-mail lifetime whatever the token's own expiry.
	h := &hostedLink{ID: newUUID(), Token: o.Token, ExpiresAt: now.Add(EmailHostedURLLife), Recovery: true, InstitutionID: in.ID}
	e.hosted[h.ID] = h
	base := e.baseURL
	if base == "" {
		base = o.Token.BaseURL
	}
	u := base + "/hosted-link/" + h.ID
	return Email{
		ID:              randomID(16),
		To:              o.Email,
		Subject:         fmt.Sprintf("%s is back: finish connecting your account to %s", in.Name, o.Token.ClientName),
		Text:            fmt.Sprintf("Good news: %s is working again. Open this link to finish connecting your account to %s:\n\n%s\n", in.Name, o.Token.ClientName, u),
		URL:             u,
		InstitutionID:   in.ID,
		InstitutionName: in.Name,
		LinkToken:       o.Token.Token,
		SentAt:          now,
	}
}

// Inbox returns every recovery e-mail sent so far, newest first.
// HTTP: GET /emulator/inbox (HTML) or GET /emulator/inbox.json.
func (e *Emulator) Inbox() []Email {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := slices.Clone(e.inbox)
	slices.Reverse(out)
	return out
}

// OptIns returns how many Link Recovery opt-ins are waiting for an institution to come back.
func (e *Emulator) OptIns() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, o := range e.optIns {
		if !o.Notified {
			n++
		}
	}
	return n
}

// DownInstitutions returns the ids of the institutions currently marked down, in listing order.
func (e *Emulator) DownInstitutions() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, in := range institutions {
		if e.down[in.ID] {
			out = append(out, in.ID)
		}
	}
	return out
}

func institutionList() string {
	var parts []string
	for _, in := range institutions {
		parts = append(parts, in.ID+" ("+in.Name+")")
	}
	return strings.Join(parts, ", ")
}

// recoveryLiveLocked says whether a Link Recovery e-mail's link for lt can still start or has a
// session under it. Plaid does not document how a recovery session relates to the original link
// token's lifetime; the emulator keeps answering /link/token/get for the token while such a link
// lives (7 days), so the recovery session's results can be read (docs/emulator.md says so).
func (e *Emulator) recoveryLiveLocked(lt *linkToken, now time.Time) bool {
	for _, h := range e.hosted {
		if h.Token == lt && h.Recovery && !expired(now, h.ExpiresAt) {
			return true
		}
	}
	return false
}
