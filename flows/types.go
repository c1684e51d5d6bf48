package flows

import "time"

// The core's plain types: what the wiring maps plaid-go's and the emulator's answers to.

// LinkToken is a created Hosted Link token.
type LinkToken struct {
	Token         string
	HostedLinkURL string
	Expiration    time.Time
	RequestID     string
	Webhook       string
	RedirectURI   string
}

// LinkEvent is one Link event of a session.
type LinkEvent struct {
	Name      string // e.g. ERROR, ISSUE_FOLLOWED, HANDOFF
	ErrorCode string
	ViewName  string
	At        time.Time
}

// Session is what /link/token/get (or the webhooks) tell of one Link session.
type Session struct {
	ID           string
	Finished     bool
	Status       string // SUCCESS, EXITED, or "" while open
	PublicTokens []string
	ExitCode     string // error code the session exited with, if any
	ExitStatus   string // where Link was when the user left (exit metadata status, e.g. requires_credentials)
	Events       []LinkEvent
}

// TokenStatus is /link/token/get's answer.
type TokenStatus struct {
	Sessions []Session
}

// SignupProgress is the sign-up half's checklist, derived from Link events.
type SignupProgress struct {
	InstitutionDown bool // an ERROR event with INSTITUTION_DOWN (or SELECT_DOWN_INSTITUTION)
	OptedIn         bool // ISSUE_FOLLOWED: the user asked to be told when it is back
}

// Account is one account of the exchanged Item.
type Account struct {
	ID, Name, Mask, Type, Subtype string
	Balance                       *float64
}

// Item is the result of exchanging a public token.
type Item struct {
	ItemID          string
	InstitutionID   string
	InstitutionName string // "" when Plaid did not say (show Bank)
	AccessToken     string // never shown in full: use Mask
	Accounts        []Account
}

// Bank is how every renderer names the Item's bank (BankName).
func (it Item) Bank() string { return BankName(it.InstitutionName, it.InstitutionID) }

// BankName is how a bank is shown wherever its id would be: "Tartan Bank (ins_109511)", the name
// alone without an id, the id alone when the name is unknown.
func BankName(name, id string) string {
	switch {
	case name == "":
		return id
	case id == "":
		return name
	}
	return name + " (" + id + ")"
}

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

// Login is what the emulator does in a Hosted Link session when it walks one for --auto or the a
// key: the core's own credentials type (the wiring hands it to the emulator).
type Login struct {
	InstitutionID string // "": the emulator's default bank
	Username      string
	Password      string
	// Email and Code complete the Link Recovery opt-in when the bank is down ("": Plaid's Sandbox
	// values).
	Email string
	Code  string
	// Exit leaves Link at its first page instead of logging in: the person who walks away.
	Exit bool
}

// The Sandbox logins Plaid documents for Link Recovery testing (the emulator knows the same ones:
// internal/env's tests walk them there).
var (
	// SignupLogin logs in to a bank that is down and opts in to the recovery e-mail.
	SignupLogin = Login{Username: "user_good", Password: "error_INSTITUTION_DOWN", Email: "example@plaid.com", Code: "123456"}
	// FallbackLogin is the outage login for clients outside the Link Recovery beta.
	FallbackLogin = Login{Username: "user_link_recovery", Password: "{}"}
	// SessionLogin finishes a session with an Item.
	SessionLogin = Login{Username: "user_good", Password: "pass_good"}
)

// CredentialCard is one row of credentials a person types: a title and its copyable values.
type CredentialCard struct {
	Title string
	Items []Credential
}

// Credential is one copyable value.
type Credential struct{ Label, Value string }
