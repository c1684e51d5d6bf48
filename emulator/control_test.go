package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	plaid "github.com/plaid/plaid-go/v29/plaid"
)

func createToken(v *env) error {
	req := plaid.NewLinkTokenCreateRequest("App", "en", []plaid.CountryCode{plaid.COUNTRYCODE_US}, *plaid.NewLinkTokenCreateRequestUser("u"))
	_, _, err := v.client.PlaidApi.LinkTokenCreate(v.ctx).LinkTokenCreateRequest(*req).Execute()
	return err
}

// TestAPIFaults: the next N calls of an endpoint fail as told (Go API and HTTP), then it recovers;
// other endpoints are untouched; a delay fault slows the call without failing it.
func TestAPIFaults(t *testing.T) {
	v := newEnv(t, Config{})
	v.emu.InjectFault(Fault{Path: "/link/token/create", Count: 2, ErrorType: "API_ERROR", ErrorCode: "INTERNAL_SERVER_ERROR"})
	for i := range 2 {
		pe := plaidErr(t, createToken(v))
		if pe.ErrorType != "API_ERROR" || pe.ErrorCode != "INTERNAL_SERVER_ERROR" || pe.ErrorMessage == "" {
			t.Errorf("call %d: %+v", i+1, pe)
		}
		if x := v.rec.last(t, "/link/token/create"); x.Status != 500 {
			t.Errorf("call %d: HTTP %d, want 500", i+1, x.Status)
		}
	}
	if err := createToken(v); err != nil {
		t.Fatalf("third call still fails: %v", err)
	}

	// A bare status gets a Plaid API_ERROR body with that status.
	v.emu.InjectFault(Fault{Path: "link/token/create", HTTPStatus: 503})
	if pe := plaidErr(t, createToken(v)); pe.ErrorType != "API_ERROR" || v.rec.last(t, "/link/token/create").Status != 503 {
		t.Errorf("bare 503 fault: %+v HTTP %d", pe, v.rec.last(t, "/link/token/create").Status)
	}
	// A Plaid error without a status gets Plaid's status for its type.
	v.emu.InjectFault(Fault{Path: "/item/get", ErrorType: "RATE_LIMIT_EXCEEDED", ErrorCode: "RATE_LIMIT", ErrorMessage: "slow down"})
	_, _, err := v.client.PlaidApi.ItemGet(v.ctx).ItemGetRequest(*plaid.NewItemGetRequest("access-sandbox-x")).Execute()
	if pe := plaidErr(t, err); pe.ErrorCode != "RATE_LIMIT" || pe.ErrorMessage != "slow down" || v.rec.last(t, "/item/get").Status != 429 {
		t.Errorf("rate-limit fault: %+v HTTP %d", pe, v.rec.last(t, "/item/get").Status)
	}
	// The fault did not touch /link/token/create.
	if err := createToken(v); err != nil {
		t.Errorf("unrelated endpoint failed: %v", err)
	}

	// Over HTTP: a fault with a delay, then its error.
	st, body := rawPost(t, v, "/emulator/faults", `{"path":"/link/token/create","count":1,"error_type":"INSTITUTION_ERROR","error_code":"INSTITUTION_DOWN","delay_ms":120}`, keys(v))
	if st != 200 {
		t.Fatalf("POST /emulator/faults: %d %s", st, body)
	}
	v.waits.reset()
	pe := plaidErr(t, createToken(v))
	if w := v.waits.all(); !slices.Equal(w, []time.Duration{120 * time.Millisecond}) || pe.ErrorCode != "INSTITUTION_DOWN" || v.rec.last(t, "/link/token/create").Status != 400 {
		t.Errorf("delayed HTTP fault: %+v after waits %v, want one of 120ms", pe, w)
	}
	// A delay-only fault slows the call but it succeeds.
	v.emu.InjectFault(Fault{Path: "/link/token/create", Delay: 100 * time.Millisecond})
	v.waits.reset()
	if err := createToken(v); err != nil || !slices.Equal(v.waits.all(), []time.Duration{100 * time.Millisecond}) {
		t.Errorf("delay-only fault: %v after waits %v, want one of 100ms", err, v.waits.all())
	}

	// Bad faults are refused with the reason.
	for _, bad := range []Fault{
		{Path: "/nope"},
		{Path: "/item/get", HTTPStatus: 200},
		{Path: "/item/get", Count: -1},
		{Path: "/item/get", ErrorType: "API_ERROR"},
	} {
		if err := v.emu.AddFault(bad); err == nil {
			t.Errorf("AddFault(%+v) accepted", bad)
		}
	}
	for _, bad := range []string{`{"path":"/nope"}`, `{"path":"/item/get","http_status":99}`, `{"pth":"/item/get"}`, `{`} {
		st, body := rawPost(t, v, "/emulator/faults", bad, keys(v))
		var pe plaid.PlaidError
		if json.Unmarshal(body, &pe) != nil || st != 400 || pe.ErrorMessage == "" {
			t.Errorf("POST /emulator/faults %s: HTTP %d %s", bad, st, body)
		}
	}
	// InjectFault with a bad fault logs why instead of failing silently.
	v.emu.InjectFault(Fault{Path: "/nope"})
	if !strings.Contains(v.logs.text(), `fault path "/nope"`) {
		t.Errorf("InjectFault of a bad path was not logged")
	}
	// DELETE clears queued faults.
	v.emu.InjectFault(Fault{Path: "/link/token/create", Count: 5, HTTPStatus: 500})
	req, _ := http.NewRequest(http.MethodDelete, v.srv.URL+"/emulator/faults", nil)
	req.Header.Set("PLAID-CLIENT-ID", v.emu.ClientID())
	req.Header.Set("PLAID-SECRET", v.emu.Secret())
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("DELETE /emulator/faults: %v", err)
	}
	if err := createToken(v); err != nil {
		t.Errorf("after clearing faults: %v", err)
	}
}

// TestControlEndpoints: restore and the inbox over HTTP, in the JSON shape the e2e tests and the
// README promise, and clear errors for bad control requests.
func TestControlEndpoints(t *testing.T) {
	v := newEnv(t, Config{})
	rc := newReceiver(t)
	lt := v.session(t, rc.srv.URL+"/hook", Credentials{Username: UserLinkRecovery, Password: PassLinkRecovery})
	if st, body := rawPost(t, v, "/emulator/institutions/restore", `{"institution_id":"ins_nope"}`, keys(v)); st != 400 || !strings.Contains(string(body), "ins_109508") {
		t.Errorf("restore of an unknown institution: HTTP %d %s", st, body)
	}
	// Restoring another institution sends nothing.
	st, body := rawPost(t, v, "/emulator/institutions/restore", `{"institution_id":"ins_109512"}`, keys(v))
	if st != 200 || !strings.Contains(string(body), `"emails":[]`) || v.emu.OptIns() != 1 {
		t.Errorf("restore of another bank: HTTP %d %s, %d opt-ins left", st, body, v.emu.OptIns())
	}
	st, body = rawPost(t, v, "/emulator/institutions/restore", ``, keys(v)) // empty body: every institution
	if st != 200 || !strings.Contains(string(body), lt.GetLinkToken()) {
		t.Fatalf("restore all: HTTP %d %s", st, body)
	}
	resp, err := controlGet(v, "/emulator/inbox.json")
	if err != nil {
		t.Fatal(err)
	}
	var mails []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&mails); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(mails) != 1 {
		t.Fatalf("inbox.json has %d e-mails", len(mails))
	}
	for _, k := range []string{"id", "to", "subject", "text", "url", "institution_id", "institution_name", "link_token", "sent_at"} {
		if s, _ := mails[0][k].(string); s == "" {
			t.Errorf("inbox.json e-mail lacks %q: %v", k, mails[0])
		}
	}
	resp, err = controlGet(v, "/emulator/deliveries.json")
	if err != nil {
		t.Fatal(err)
	}
	var ds []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&ds); err != nil || len(ds) == 0 || ds[0]["webhook_code"] != "EVENTS" {
		t.Errorf("deliveries.json: %v %v", ds, err)
	}
	resp.Body.Close()
	resp, err = controlGet(v, "/emulator/nope")
	if err != nil {
		t.Fatal(err)
	}
	var pe plaid.PlaidError
	if err := json.NewDecoder(resp.Body).Decode(&pe); err != nil || resp.StatusCode != 404 || !strings.Contains(pe.ErrorMessage, "/emulator") {
		t.Errorf("unknown control path: HTTP %d %+v", resp.StatusCode, pe)
	}
	resp.Body.Close()
}

// controlGet GETs a machine control endpoint with the emulator's keys, as a script would.
func controlGet(v *env, path string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, v.srv.URL+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("PLAID-CLIENT-ID", v.emu.ClientID())
	req.Header.Set("PLAID-SECRET", v.emu.Secret())
	return http.DefaultClient.Do(req)
}
