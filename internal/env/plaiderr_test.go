package env

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/flows"
)

func TestAsPlaidErrorFromBody(t *testing.T) {
	body := []byte(`{"error_type":"INVALID_INPUT","error_code":"INVALID_API_KEYS","error_message":"invalid client_id or secret provided","display_message":null,"request_id":"req123"}`)
	err := AsPlaidError(plaid.MakeGenericOpenAPIError(body, "400 Bad Request", nil), "/link/token/create")
	var pe *flows.PlaidError
	if !errors.As(err, &pe) {
		t.Fatalf("want *flows.PlaidError, got %T %v", err, err)
	}
	if pe.Code != "INVALID_API_KEYS" || pe.Type != "INVALID_INPUT" || pe.RequestID != "req123" || pe.HTTPStatus != 400 || pe.Endpoint != "/link/token/create" {
		t.Errorf("mapped wrong: %+v", pe)
	}
	if !strings.Contains(pe.Hint(), "dashboard.plaid.com/team/keys") {
		t.Errorf("hint %q does not say where the keys are", pe.Hint())
	}
	if got := pe.Error(); !strings.Contains(got, "INVALID_API_KEYS") || !strings.Contains(got, "/link/token/create") {
		t.Errorf("Error() = %q", got)
	}
}

func TestAsPlaidErrorNotPlaid(t *testing.T) {
	err := asPlaidError(plaid.MakeGenericOpenAPIError([]byte("<html>404 page not found</html>"), "404 Not Found", nil),
		nil, "/link/token/get", "http://127.0.0.1:1")
	var ce *flows.CallError
	if !errors.As(err, &ce) {
		t.Fatalf("want *flows.CallError, got %T", err)
	}
	if ce.HTTPStatus != 404 || !strings.Contains(ce.Error(), "PLAID_BASE_URL") || !strings.Contains(ce.Error(), "404 page not found") {
		t.Errorf("unclear: %v", ce)
	}
}

func TestAsPlaidErrorNetwork(t *testing.T) {
	// Nothing listens on port 1 of loopback: a real connection refused through plaid-go.
	c, _ := newPlaidClient("http://127.0.0.1:1", "id", "secret", time.Now, nil)
	_, resp, err := c.PlaidApi.LinkTokenGet(context.Background()).LinkTokenGetRequest(*plaid.NewLinkTokenGetRequest("link-sandbox-x")).Execute()
	err = asPlaidError(err, resp, "/link/token/get", "http://127.0.0.1:1")
	var ce *flows.CallError
	if !errors.As(err, &ce) {
		t.Fatalf("want *flows.CallError, got %T %v", err, err)
	}
	msg := ce.Error()
	for _, w := range []string{"cannot reach Plaid at http://127.0.0.1:1", "check your network or PLAID_BASE_URL"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q does not say %q", msg, w)
		}
	}
	if rec := flows.ErrorRecord("link_token_get", err); rec["hint"] != ce.Next {
		t.Errorf("record hint = %v", rec["hint"])
	}
	// Through the exported helper, which does not know the base URL: it comes from the request.
	_, _, raw := c.PlaidApi.ItemGet(context.Background()).ItemGetRequest(*plaid.NewItemGetRequest("access-x")).Execute()
	if msg := AsPlaidError(raw, "/item/get").Error(); !strings.Contains(msg, "cannot reach Plaid at http://127.0.0.1:1:") ||
		strings.Contains(msg, "/item/get\"") {
		t.Errorf("exported helper: %q", msg)
	}
}

func TestAsPlaidErrorPassThrough(t *testing.T) {
	if AsPlaidError(nil, "/x") != nil {
		t.Error("nil must stay nil")
	}
	pe := &flows.PlaidError{Code: "X"}
	if got := AsPlaidError(fmt.Errorf("wrapped: %w", pe), "/x"); !errors.As(got, &pe) {
		t.Error("an existing PlaidError must survive")
	}
	got := AsPlaidError(context.Canceled, "/x")
	if !errors.Is(got, context.Canceled) {
		t.Errorf("context.Canceled lost: %v", got)
	}
}

func TestHints(t *testing.T) {
	cases := []struct {
		code, msg, want string
	}{
		{"INVALID_FIELD", "completion_redirect_uri must be https", "completion_redirect_uri must be https"},
		{"INVALID_LINK_TOKEN", "", "create a new link token"},
		{"INVALID_PUBLIC_TOKEN", "", "30 minutes"},
		{"RATE_LIMIT_EXCEEDED", "", "wait"},
		{"INTERNAL_SERVER_ERROR", "", "retry"},
		{"PLANNED_MAINTENANCE", "", "retry"},
		{"SOMETHING_NEW", "", "request_id r-42"},
	}
	for _, c := range cases {
		pe := &flows.PlaidError{Code: c.code, Message: c.msg, RequestID: "r-42", HTTPStatus: http.StatusBadRequest}
		if h := pe.Hint(); !strings.Contains(h, c.want) {
			t.Errorf("%s: hint %q lacks %q", c.code, h, c.want)
		}
	}
}

func TestErrorRecordPlaid(t *testing.T) {
	pe := &flows.PlaidError{Code: "INVALID_API_KEYS", Type: "INVALID_INPUT", Message: "bad keys", RequestID: "r1", HTTPStatus: 400, Endpoint: "/link/token/create"}
	rec := flows.ErrorRecord("link_token_create", fmt.Errorf("wrapped: %w", pe))
	want := flows.Record{"event": "error", "step": "link_token_create", "code": "INVALID_API_KEYS", "message": "bad keys",
		"request_id": "r1", "http_status": 400, "hint": pe.Hint()}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
}

// TestErrorRecordSaysTheHintOnce: an error whose message ends with its next step gives that step
// once, as the hint, not again at the end of the message.
func TestErrorRecordSaysTheHintOnce(t *testing.T) {
	err := asPlaidError(&url.Error{Op: "Post", URL: "http://127.0.0.1:9/link/token/create", Err: errors.New("connection refused")}, nil, "/link/token/create", "http://127.0.0.1:9")
	r := flows.ErrorRecord("link_token_create", err)
	msg, hint := r["message"].(string), r["hint"].(string)
	if hint == "" || strings.Contains(msg, hint) {
		t.Fatalf("message %q repeats hint %q", msg, hint)
	}
	if !strings.Contains(err.Error(), hint) {
		t.Fatalf("the error %q no longer carries its hint %q (the test no longer covers the repeat)", err.Error(), hint)
	}
}
