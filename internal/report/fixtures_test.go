package report

import (
	"time"

	"github.com/bankdown/linkrecovery/internal/secret"
)

// The fixtures' secrets and tokens, in full: no report may hold any of them.
const (
	fixSecret      = "0123456789abcdef0123456789abcd" // PLAID_SECRET
	fixNgrok       = "2abcdefghijklmnopqrstuvwxyz_SECRETTOKENVALUE"
	fixLinkToken   = "link-sandbox-40cd7e1a-8f3b-4c2d-9e5f-1a2b3c4d5e6f"
	fixOtherToken  = "link-sandbox-77aa0000-1111-2222-3333-444455556666"
	fixPublic      = "public-sandbox-5b1f2e3d-4c5b-6a79-8877-665544332211"
	fixAccess      = "access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6"
	fixItemID      = "eVBnVMp7zdTJLkRNr33Rs6zr7KNJqBFL9DrE6"
	fixAccount1    = "BxBXxLj1m4HMXBm9WZZmCWVbPjX16EHwv99vp"
	fixAccount2    = "dVzbVMLjrxTnLjX4G66XUp5GLklm4oiZy88yK"
	fixHostedDemo  = "http://127.0.0.1:41234/hosted-link/6f1c2d3e-4b5a-4968-8776-a5b4c3d2e1f0"
	fixRecoveryURL = "http://127.0.0.1:41234/hosted-link/9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
	fixHostedSbx   = "https://secure.plaid.com/hl/lpY9sR2kQ7wT4xZ1aB3cD5eF7gH9jK0m"
)

// fixFull lists every value a report must show masked, for the leak checks.
var fixFull = []string{fixSecret, fixNgrok, fixLinkToken, fixOtherToken, fixPublic, fixAccess,
	fixItemID, fixAccount1, fixAccount2, fixHostedDemo, fixRecoveryURL, fixHostedSbx}

func init() {
	// As the app does at start and on each exchange: the registry masks these wherever they are.
	secret.Register(fixSecret, fixNgrok, fixAccess)
}

// t0 is when the fixture runs start.
var t0 = time.Date(2026, 12, 1, 22, 46, 39, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func f(v float64) *float64 { return &v }

func fixAccounts() *Item {
	return &Item{ItemID: fixItemID, InstitutionID: "ins_109511", InstitutionName: "Tartan Bank", Accounts: []Account{
		{ID: fixAccount1, Name: "Plaid Checking", Mask: "0000", Type: "depository", Subtype: "checking", Balance: f(110)},
		{ID: fixAccount2, Name: "Plaid Saving", Mask: "1111", Type: "depository", Subtype: "savings", Balance: f(210)},
	}}
}

const accountsBody = `{"accounts":[` +
	`{"account_id":"` + fixAccount1 + `","balances":{"available":100,"current":110,"iso_currency_code":"USD"},"mask":"0000","name":"Plaid Checking","official_name":"Plaid Gold Standard 0% Interest Checking","subtype":"checking","type":"depository"},` +
	`{"account_id":"` + fixAccount2 + `","balances":{"available":200,"current":210,"iso_currency_code":"USD"},"mask":"1111","name":"Plaid Saving","official_name":"Plaid Silver Standard 0.1% Interest Saving","subtype":"savings","type":"depository"}],` +
	`"item":{"institution_id":"ins_109511","item_id":"` + fixItemID + `","webhook":"http://127.0.0.1:41233/webhook"},"request_id":"Qw3rTy6uIo9pAs2"}`

// demoSignup is a demo-mode sign-up run with the recovery: the outage, the opt-in, the bank
// coming back, the recovery e-mail and its session, whose SESSION_FINISHED comes to the original
// token's webhook.
func demoSignup() Run {
	r := Run{Scenario: "signup", Title: "Half 1 · Sign-up", Mode: ModeDemo,
		PlaidURL: "http://127.0.0.1:41234", Webhook: "http://127.0.0.1:41233/webhook",
		Started: t0, Ended: at(21400), LinkToken: fixLinkToken}
	for _, e := range []Event{
		Call{At: at(120), Method: "POST", Endpoint: "/link/token/create", Status: 200, Duration: 84 * time.Millisecond,
			Request:  []byte(`{"client_name":"linkrecovery","country_codes":["US"],"language":"en","user":{"client_user_id":"linkrecovery-demo"},"products":["transactions"],"webhook":"http://127.0.0.1:41233/webhook","hosted_link":{"completion_redirect_uri":"http://127.0.0.1:41233/complete"}}`),
			Response: []byte(`{"link_token":"` + fixLinkToken + `","hosted_link_url":"` + fixHostedDemo + `","expiration":"2026-12-02T02:46:39Z","request_id":"Ab12Cd34Ef56Gh7"}`)},
		Call{At: at(450), Method: "POST", Endpoint: "/link/token/get", Status: 200, Duration: 3 * time.Millisecond,
			Request:  []byte(`{"link_token":"` + fixLinkToken + `"}`),
			Response: []byte(`{"link_token":"` + fixLinkToken + `","link_sessions":[],"request_id":"Zx1"}`)},
		Call{At: at(700), Method: "POST", Endpoint: "/link/token/get", Status: 200, Duration: 2 * time.Millisecond,
			Request:  []byte(`{"link_token":"` + fixLinkToken + `"}`),
			Response: []byte(`{"link_token":"` + fixLinkToken + `","link_sessions":[{"link_session_id":"lnks-signup-1","started_at":"2026-12-01T22:46:39Z"}],"request_id":"Zx2"}`)},
		Page{At: at(1500), Step: "select", Detail: "Tartan Bank"},
		Page{At: at(3000), Step: "login", Detail: "user_good / error_INSTITUTION_DOWN"},
		Page{At: at(4200), Step: "down", Detail: "INSTITUTION_DOWN: notify me when it is back"},
		Page{At: at(6000), Step: "code", Detail: "example@plaid.com, code 123456"},
		Page{At: at(7100), Step: "followed", Detail: "opted in"},
		Webhook{At: at(7400), Type: "LINK", Code: "EVENTS", LinkToken: fixLinkToken, LinkSessionID: "lnks-signup-1", Verified: true,
			Body: []byte(`{"webhook_type":"LINK","webhook_code":"EVENTS","link_session_id":"lnks-signup-1","link_token":"` + fixLinkToken + `","environment":"sandbox","events":[{"event_name":"ERROR","metadata":{"error_code":"INSTITUTION_DOWN","institution_id":"ins_109511","institution_name":"Tartan Bank"}},{"event_name":"ISSUE_FOLLOWED"},{"event_name":"EXIT","metadata":{"exit_status":"requires_credentials"}}]}`)},
		Webhook{At: at(7450), Type: "LINK", Code: "SESSION_FINISHED", Status: "EXITED", LinkToken: fixLinkToken, LinkSessionID: "lnks-signup-1", Verified: true,
			Body: []byte(`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","status":"EXITED","link_session_id":"lnks-signup-1","link_token":"` + fixLinkToken + `","public_tokens":[],"environment":"sandbox"}`)},
		Call{At: at(9000), Method: "POST", Endpoint: "/emulator/institutions/restore", Status: 200, Duration: 5 * time.Millisecond,
			Request:  []byte(`{"institution_id":"ins_109511"}`),
			Response: []byte(`{"sent":[{"to":"example@plaid.com","institution_name":"Tartan Bank","link_token":"` + fixLinkToken + `","url":"` + fixRecoveryURL + `"}]}`)},
		Email{At: at(9010), To: "example@plaid.com", Subject: "Tartan Bank is back: finish connecting your account to linkrecovery", InstitutionName: "Tartan Bank"},
		Page{At: at(11000), Step: "login", Detail: "user_good / pass_good"},
		Page{At: at(13000), Step: "accounts", Detail: "Plaid Checking, Plaid Saving"},
		Page{At: at(14500), Step: "success"},
		Webhook{At: at(14800), Type: "LINK", Code: "ITEM_ADD_RESULT", LinkToken: fixLinkToken, LinkSessionID: "lnks-recovery-2", PublicTokens: 1, Verified: true,
			Body: []byte(`{"webhook_type":"LINK","webhook_code":"ITEM_ADD_RESULT","link_session_id":"lnks-recovery-2","link_token":"` + fixLinkToken + `","public_token":"` + fixPublic + `","environment":"sandbox"}`)},
		Webhook{At: at(14850), Type: "LINK", Code: "SESSION_FINISHED", Status: "SUCCESS", LinkToken: fixLinkToken, LinkSessionID: "lnks-recovery-2", PublicTokens: 1, Verified: true,
			Body: []byte(`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","status":"SUCCESS","link_session_id":"lnks-recovery-2","link_token":"` + fixLinkToken + `","public_tokens":["` + fixPublic + `"],"environment":"sandbox"}`)},
		Call{At: at(15000), Method: "POST", Endpoint: "/item/public_token/exchange", Status: 200, Duration: 12 * time.Millisecond,
			Request:  []byte(`{"public_token":"` + fixPublic + `"}`),
			Response: []byte(`{"access_token":"` + fixAccess + `","item_id":"` + fixItemID + `","request_id":"Mn8bVc5xZl2kJh4"}`)},
		Call{At: at(15100), Method: "POST", Endpoint: "/accounts/get", Status: 200, Duration: 9 * time.Millisecond,
			Request:  []byte(`{"access_token":"` + fixAccess + `"}`),
			Response: []byte(accountsBody)},
	} {
		r.Add(e)
	}
	r.Checklist = []Check{
		{Text: "Institution-down error seen", Done: true, At: at(7400)},
		{Text: "Recovery opt-in done", Done: true, At: at(7400)},
		{Text: "Bank back, recovery e-mail sent", Done: true, At: at(9010)},
		{Text: "SESSION_FINISHED at the original link token's webhook", Done: true, At: at(14850)},
		{Text: "Public token exchanged", Done: true, At: at(15000)},
	}
	r.Item = fixAccounts()
	r.Verdict = &Verdict{Passed: true, Via: "webhook"}
	return r
}

// sandboxSession is a sandbox-mode session run against the real Plaid Sandbox: the person finishes
// Hosted Link on a phone (the app sees it through Link's events), a stranger's unsigned POST is
// refused, the signed SESSION_FINISHED comes through the ngrok tunnel and the token is exchanged.
func sandboxSession() Run {
	hook := "https://4f2a-203-0-113-7.ngrok-free.app/webhook"
	r := Run{Scenario: "session", Title: "Half 2 · Session", Mode: ModeSandbox,
		PlaidURL: "https://sandbox.plaid.com", Webhook: hook,
		Started: t0, Ended: at(74250), LinkToken: fixLinkToken}
	for _, e := range []Event{
		Call{At: at(300), Method: "POST", Endpoint: "/link/token/create", Status: 200, Duration: 412 * time.Millisecond,
			Request:  []byte(`{"client_name":"linkrecovery","country_codes":["US"],"language":"en","user":{"client_user_id":"linkrecovery-sandbox"},"products":["transactions"],"webhook":"` + hook + `","hosted_link":{"completion_redirect_uri":"https://4f2a-203-0-113-7.ngrok-free.app/complete"}}`),
			Response: []byte(`{"link_token":"` + fixLinkToken + `","hosted_link_url":"` + fixHostedSbx + `","expiration":"2026-12-02T02:46:39Z","request_id":"sAnDbOx1rEqId"}`)},
		Call{At: at(2800), Method: "POST", Endpoint: "/link/token/get", Status: 200, Duration: 180 * time.Millisecond,
			Request:  []byte(`{"link_token":"` + fixLinkToken + `"}`),
			Response: []byte(`{"link_token":"` + fixLinkToken + `","link_sessions":[],"request_id":"p1"}`)},
		Call{At: at(4800), Method: "POST", Endpoint: "/link/token/get", Status: 200, Duration: 175 * time.Millisecond,
			Request:  []byte(`{"link_token":"` + fixLinkToken + `"}`),
			Response: []byte(`{"link_token":"` + fixLinkToken + `","link_sessions":[],"request_id":"p2"}`)},
		Call{At: at(5000), Method: "POST", Endpoint: "/link/token/get", Duration: 30 * time.Second,
			Request: []byte(`{"link_token":"` + fixLinkToken + `"}`),
			Err:     `Post "https://sandbox.plaid.com/link/token/get": proxy echoed PLAID-SECRET: ` + fixSecret + `: EOF`},
		Note{At: at(6000), Text: "tunnel reconnected with the authtoken " + fixNgrok},
		Call{At: at(6800), Method: "POST", Endpoint: "/link/token/get", Status: 429, Duration: 90 * time.Millisecond,
			Request:  []byte(`{"link_token":"` + fixLinkToken + `"}`),
			Response: []byte(`{"error_type":"RATE_LIMIT_EXCEEDED","error_code":"RATE_LIMIT","error_message":"rate limit exceeded for client","display_message":null,"request_id":"p3"}`)},
		Page{At: at(21000), Step: "OPEN", Detail: "Hosted Link opened on a phone"},
		Page{At: at(30000), Step: "SELECT_INSTITUTION", Detail: "First Platypus Bank"},
		Page{At: at(41000), Step: "SUBMIT_CREDENTIALS", Detail: "user_good"},
		Page{At: at(55000), Step: "HANDOFF"},
		Webhook{At: at(58000), Type: "", Code: "", Reason: "no Plaid-Verification header", Body: []byte(`{"webhook_type":"LINK","webhook_code":"SESSION_FINISHED","status":"SUCCESS","link_token":"` + fixOtherToken + `","public_tokens":["public-sandbox-forged-0000-1111"]}`)},
		Webhook{At: at(71000), Type: "LINK", Code: "ITEM_ADD_RESULT", LinkToken: fixLinkToken, LinkSessionID: "2b7f9c1e-5d3a-4e8f-b6a2-9c0d1e2f3a4b", PublicTokens: 1, Verified: true,
			Body: []byte(`{"environment":"sandbox","link_session_id":"2b7f9c1e-5d3a-4e8f-b6a2-9c0d1e2f3a4b","link_token":"` + fixLinkToken + `","public_token":"` + fixPublic + `","webhook_code":"ITEM_ADD_RESULT","webhook_type":"LINK"}`)},
		Webhook{At: at(71200), Type: "LINK", Code: "SESSION_FINISHED", Status: "SUCCESS", LinkToken: fixLinkToken, LinkSessionID: "2b7f9c1e-5d3a-4e8f-b6a2-9c0d1e2f3a4b", PublicTokens: 1, Verified: true,
			Body: []byte(`{"environment":"sandbox","link_session_id":"2b7f9c1e-5d3a-4e8f-b6a2-9c0d1e2f3a4b","link_token":"` + fixLinkToken + `","public_tokens":["` + fixPublic + `"],"status":"SUCCESS","webhook_code":"SESSION_FINISHED","webhook_type":"LINK"}`)},
		Webhook{At: at(71900), Type: "LINK", Code: "SESSION_FINISHED", Status: "SUCCESS", LinkToken: fixLinkToken, LinkSessionID: "2b7f9c1e-5d3a-4e8f-b6a2-9c0d1e2f3a4b", PublicTokens: 1, Verified: true, Duplicate: true,
			Body: []byte(`{"environment":"sandbox","link_session_id":"2b7f9c1e-5d3a-4e8f-b6a2-9c0d1e2f3a4b","link_token":"` + fixLinkToken + `","public_tokens":["` + fixPublic + `"],"status":"SUCCESS","webhook_code":"SESSION_FINISHED","webhook_type":"LINK"}`)},
		Call{At: at(72000), Method: "POST", Endpoint: "/item/public_token/exchange", Status: 200, Duration: 640 * time.Millisecond,
			Request:  []byte(`{"public_token":"` + fixPublic + `"}`),
			Response: []byte(`{"access_token":"` + fixAccess + `","item_id":"` + fixItemID + `","request_id":"xChAnGe1"}`)},
		Call{At: at(72700), Method: "POST", Endpoint: "/accounts/get", Status: 200, Duration: 1450 * time.Millisecond,
			Request:  []byte(`{"access_token":"` + fixAccess + `"}`),
			Response: []byte(accountsBody)},
	} {
		r.Add(e)
	}
	r.Checklist = []Check{
		{Text: "Link token created with a webhook", Done: true, At: at(712)},
		{Text: "SESSION_FINISHED received and verified", Done: true, At: at(71200)},
		{Text: "Public token exchanged", Done: true, At: at(72640)},
	}
	it := fixAccounts()
	it.InstitutionID, it.InstitutionName = "ins_109508", "First Platypus Bank"
	r.Item = it
	r.Verdict = &Verdict{Passed: true, Via: "webhook"}
	return r
}
