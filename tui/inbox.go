package tui

import (
	"fmt"

	"github.com/bankdown/linkrecovery/flows"
)

// inboxModel is the demo's mailbox: the recovery e-mails the emulator "sent", newest first, and the
// QR code of the selected one's link (it opens the recovery session).
type inboxModel struct {
	emails []flows.Email
	sel    int
	qr     qrCode
	link   func(string) string // the URL at the address the emulator answers on now (lanLinks)
}

// newInboxModel is the inbox of emails; link gives a link's URL as the QR code holds it (nil: as it is).
func newInboxModel(emails []flows.Email, link func(string) string) inboxModel {
	m := inboxModel{emails: emails, link: link}
	if len(emails) > 0 {
		m.qr = m.codeFor(emails[0].URL)
	}
	return m
}

// codeFor is the QR code of an e-mail's link.
func (m inboxModel) codeFor(u string) qrCode {
	if m.link != nil {
		u = m.link(u)
	}
	return newQRCode(u)
}

// relink re-encodes the selected e-mail's code (the emulator's address changed).
func (m inboxModel) relink() inboxModel {
	if e, ok := m.selected(); ok {
		if c := m.codeFor(e.URL); c.url != m.qr.url {
			m.qr = c
		}
	}
	return m
}

// selectEmail selects the e-mail with id (keeps the selection when absent).
func (m inboxModel) selectEmail(id string) inboxModel {
	for i, e := range m.emails {
		if e.ID == id {
			m.sel = i
			m.qr = m.codeFor(e.URL)
		}
	}
	return m
}

func (m inboxModel) selected() (flows.Email, bool) {
	if m.sel < 0 || m.sel >= len(m.emails) {
		return flows.Email{}, false
	}
	return m.emails[m.sel], true
}

// View is the inbox pane as lines of at most width cells.
func (m inboxModel) View(s Styles, width int) []string {
	out := []string{s.Title.Render(fmt.Sprintf("✉ Inbox (%d)", len(m.emails)))}
	mail, ok := m.selected()
	if !ok {
		return append(out, s.Muted.Render("no e-mail yet"))
	}
	out = append(out,
		s.Label.Render("To      ")+s.Text.Render(fit(inert(mail.To), width-8)),
		s.Label.Render("Subject ")+s.Text.Render(fit(inert(mail.Subject), width-8)),
		s.Label.Render("Bank    ")+s.Text.Render(fit(inert(flows.BankName(mail.InstitutionName, mail.InstitutionID)), width-8)),
		s.Label.Render("Sent    ")+s.Text.Render(mail.SentAt.UTC().Format("15:04:05")+" UTC"),
	)
	return out
}
