package tui

import (
	"fmt"

	"github.com/charmbracelet/x/ansi"

	"github.com/bankdown/linkrecovery/flows"
)

// inboxModel is the demo's mailbox: the recovery e-mails the emulator "sent", newest first, and the
// QR code of the selected one's link (it opens the recovery session).
type inboxModel struct {
	emails []flows.Email
	sel    int
	qr     qrCode
}

func newInboxModel(emails []flows.Email) inboxModel {
	m := inboxModel{emails: emails}
	if len(emails) > 0 {
		m.qr = newQRCode(emails[0].URL)
	}
	return m
}

// selectEmail selects the e-mail with id (keeps the selection when absent).
func (m inboxModel) selectEmail(id string) inboxModel {
	for i, e := range m.emails {
		if e.ID == id {
			m.sel = i
			m.qr = newQRCode(e.URL)
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
		s.Label.Render("To      ")+s.Text.Render(ansi.Truncate(inert(mail.To), width-8, "…")),
		s.Label.Render("Subject ")+s.Text.Render(ansi.Truncate(inert(mail.Subject), width-8, "…")),
		s.Label.Render("Bank    ")+s.Text.Render(ansi.Truncate(inert(flows.BankName(mail.InstitutionName, mail.InstitutionID)), width-8, "…")),
		s.Label.Render("Sent    ")+s.Text.Render(mail.SentAt.UTC().Format("15:04:05")+" UTC"),
	)
	return out
}
