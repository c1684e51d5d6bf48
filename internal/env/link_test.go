package env

import (
	"encoding/json"
	"testing"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/flows"
)

func TestSessionFromLinkTokenGet(t *testing.T) {
	body := []byte(`{"link_token":"link-x","created_at":null,"expiration":null,"metadata":{},"request_id":"r","link_sessions":[
	 {"link_session_id":"s-exit","started_at":"2024-01-02T03:04:05Z","finished_at":"2024-01-02T03:05:05Z",
	  "exit":{"error":{"error_type":"INSTITUTION_ERROR","error_code":"INSTITUTION_DOWN","error_message":"down","display_message":null},
	          "metadata":{"status":"requires_credentials","link_session_id":"s-exit"}},
	  "events":[{"event_name":"ERROR","timestamp":"2024-01-02T03:04:06Z","event_id":"e1","event_metadata":{"error_code":"INSTITUTION_DOWN","request_id":"r"}},
	            {"event_name":"ISSUE_FOLLOWED","timestamp":"2024-01-02T03:04:07Z","event_id":"e2","event_metadata":{"request_id":"r"}}]},
	 {"link_session_id":"s-ok","finished_at":"2024-01-02T04:00:00Z",
	  "results":{"item_add_results":[{"public_token":"public-1","accounts":[],"institution":null},{"public_token":"public-2","accounts":[],"institution":null}]},
	  "on_success":{"public_token":"public-1","metadata":null}},
	 {"link_session_id":"s-open","started_at":"2024-01-02T05:00:00Z"}]}`)
	var resp plaid.LinkTokenGetResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	var got []flows.Session
	for _, s := range resp.GetLinkSessions() {
		got = append(got, sessionFrom(s))
	}
	if len(got) != 3 {
		t.Fatalf("sessions = %+v", got)
	}
	ex, ok, open := got[0], got[1], got[2]
	if !ex.Finished || ex.Status != "EXITED" || ex.ExitCode != "INSTITUTION_DOWN" || ex.ExitStatus != "requires_credentials" ||
		len(ex.PublicTokens) != 0 || !flows.Progress(ex.Events).Done() {
		t.Errorf("exited session = %+v", ex)
	}
	if !ok.Finished || ok.Status != "SUCCESS" || len(ok.PublicTokens) != 2 || ok.PublicTokens[0] != "public-1" {
		t.Errorf("successful session = %+v (on_success must not duplicate item_add_results)", ok)
	}
	if open.Finished || open.Status != "" {
		t.Errorf("open session = %+v", open)
	}
}
