package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/bankdown/linkrecovery/internal/secret"
)

// institution is a Sandbox institution the Hosted Link pages offer.
type institution struct {
	ID   string
	Name string
}

// institutions are Plaid's non-OAuth Sandbox institutions, in the order the select page lists them.
var institutions = []institution{
	{"ins_109508", "First Platypus Bank"},
	{"ins_109509", "First Gingham Credit Union"},
	{"ins_109510", "Tattersall Federal Credit Union"},
	{"ins_109511", "Tartan Bank"},
	{"ins_109512", "Houndstooth Bank"},
}

// InstitutionName is the name of the Sandbox institution id ("Tartan Bank" for ins_109511), as
// /institutions/get_by_id answers it; ok is false for an id the emulator does not know.
func InstitutionName(id string) (name string, ok bool) {
	in, ok := findInstitution(id)
	return in.Name, ok
}

func findInstitution(id string) (institution, bool) {
	for _, in := range institutions {
		if in.ID == id {
			return in, true
		}
	}
	return institution{}, false
}

// account is one account of an Item. Balances use pointers because Plaid sends null for the ones a
// type of account does not have (no "available" on a CD, no "limit" on a checking account).
type account struct {
	ID           string
	Name         string
	OfficialName string
	Mask         string
	Type         string
	Subtype      string
	Available    *float64
	Current      *float64
	Limit        *float64
}

func f(v float64) *float64 { return &v }

// sandboxAccounts are the accounts Plaid's Sandbox gives every Item made with user_good.
var sandboxAccounts = []account{
	{Name: "Plaid Checking", OfficialName: "Plaid Gold Standard 0% Interest Checking", Mask: "0000", Type: "depository", Subtype: "checking", Available: f(100), Current: f(110)},
	{Name: "Plaid Saving", OfficialName: "Plaid Silver Standard 0.1% Interest Saving", Mask: "1111", Type: "depository", Subtype: "savings", Available: f(200), Current: f(210)},
	{Name: "Plaid CD", OfficialName: "Plaid Bronze Standard 0.2% Interest CD", Mask: "2222", Type: "depository", Subtype: "cd", Current: f(1000)},
	{Name: "Plaid Credit Card", OfficialName: "Plaid Diamond 12.5% APR Interest Credit Card", Mask: "3333", Type: "credit", Subtype: "credit card", Current: f(410), Limit: f(2000)},
	{Name: "Plaid Money Market", OfficialName: "Plaid Platinum Standard 1.85% Interest Money Market", Mask: "4444", Type: "depository", Subtype: "money market", Available: f(43200), Current: f(43200)},
	{Name: "Plaid IRA", Mask: "5555", Type: "investment", Subtype: "ira", Current: f(320.76)},
	{Name: "Plaid 401k", Mask: "6666", Type: "investment", Subtype: "401k", Current: f(23631.9805)},
	{Name: "Plaid Student Loan", Mask: "7777", Type: "loan", Subtype: "student", Current: f(65262)},
	{Name: "Plaid Mortgage", Mask: "8888", Type: "loan", Subtype: "mortgage", Current: f(56302.06)},
}

// newAccounts returns a fresh copy of the Sandbox accounts with new random ids.
func newAccounts() []account {
	out := make([]account, len(sandboxAccounts))
	for i, a := range sandboxAccounts {
		a.ID = randomID(37)
		out[i] = a
	}
	return out
}

// linkToken is a /link/token/create result and everything that happened under it.
type linkToken struct {
	Token         string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	ClientName    string
	Language      string
	CountryCodes  []string
	Products      []string
	Webhook       string
	ClientUserID  string
	HostedLink    bool
	CompletionURI string
	RedirectURI   string // echoed in /link/token/get's metadata.redirect_uri
	URLLifetime   time.Duration
	BaseURL       string // the base URL the token was created under, for e-mail links
	HostedID      string // the first Hosted Link session's id
	Sessions      []*session
}

// hostedLink is one hosted_link_url: the first one of a token, or one sent in a recovery e-mail.
type hostedLink struct {
	ID            string
	Token         *linkToken
	ExpiresAt     time.Time
	Recovery      bool
	InstitutionID string // preset for recovery sessions
	Session       *session
}

// step is a Hosted Link page; the values are the data-step attributes of the page contract.
type step string

const (
	stepSelect   step = "select"
	stepLogin    step = "login"
	stepAccounts step = "accounts"
	stepSuccess  step = "success"
	stepDown     step = "down"
	stepCode     step = "code"
	stepFollowed step = "followed"
	stepExpired  step = "expired"
	stepExited   step = "exited"
)

// final reports whether the session has ended on this step.
func (s step) final() bool { return s == stepSuccess || s == stepFollowed || s == stepExited }

// linkEvent is a Link event as Plaid reports it in EVENTS webhooks and /link/token/get.
type linkEvent struct {
	EventName string         `json:"event_name"`
	Timestamp string         `json:"timestamp"`
	EventID   string         `json:"event_id"`
	Metadata  map[string]any `json:"event_metadata"`
}

// itemAddResult is one Item a session produced.
type itemAddResult struct {
	PublicToken string
	Item        *item
}

// formError is the message shown on a page after a rejected submission.
type formError struct {
	Code    string
	Message string
}

// session is one Link session (link_session_id) of a link token.
type session struct {
	ID            string
	Hosted        *hostedLink
	Token         *linkToken
	Step          step
	InstitutionID string
	StartedAt     time.Time
	FinishedAt    time.Time
	Events        []linkEvent
	Offered       []account // accounts shown on the accounts page, before the Item exists
	Email         string
	Results       []itemAddResult
	ExitError     *plaidError
	Status        string // SUCCESS or EXITED once final
	ExitStatus    string // Link's onExit status, e.g. requires_credentials, when EXITED
	FormError     *formError
	abandon       *task // sends the EVENTS webhook if the user walks away (sessions.go)
}

// item is a linked Item and its accounts.
type item struct {
	ID            string
	InstitutionID string
	Webhook       string
	Products      []string
	Accounts      []account
	CreatedAt     time.Time
	AccessToken   string // "" until the public token is exchanged
	LastWebhook   string
	LastWebhookAt time.Time
}

// publicToken is a short-lived, single-use token for an Item.
type publicToken struct {
	Token     string
	Item      *item
	ExpiresAt time.Time
	Used      bool
}

// optIn is a Link Recovery opt-in waiting for an institution to come back.
type optIn struct {
	Token         *linkToken
	Session       *session
	InstitutionID string
	Email         string
	CreatedAt     time.Time
	Notified      bool
}

// randomHex returns n random hex characters.
func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic("emulator: crypto/rand failed: " + err.Error()) // the OS RNG failing is not recoverable
	}
	return hex.EncodeToString(b)[:n]
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomID returns n random alphanumerics, like Plaid's item, account and request ids.
func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("emulator: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("emulator: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// mask shortens a token or secret for logs: enough to tell two apart, never enough to use.
func mask(s string) string { return secret.Mask(s) }
