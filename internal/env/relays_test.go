package env_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// TestEveryRelayRecordedBeforeDone: with a --forward-to that never answers, a headless run still
// ends with one "forwarded" record for each webhook it relayed (cancelled, since the app never
// answered), all before "done" and none twice. The run used to wait the drain out and list only
// the results that had come in by then: none, with a target that hangs.
func TestEveryRelayRecordedBeforeDone(t *testing.T) {
	release := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // net/http notices the client hanging up only once the body is read
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer app.Close()
	defer close(release) // before app.Close, which waits for its handlers
	e := testkit.DemoEnv(t, env.Config{ForwardTo: app.URL + "/plaid/webhook"})
	rec := newRecorder(t)
	if !env.RunHeadless(testkit.Context(t), e, env.RunOptions{Scenario: "session", Auto: true}, rec.Emit) {
		t.Fatalf("did not pass:\n%s", rec.Text())
	}
	all := rec.All()
	if all[len(all)-1]["event"] != "done" {
		t.Fatalf("the last record is not done:\n%s", rec.Text())
	}
	relayed := map[string]int{}
	for _, r := range testkit.Find(all, "webhook") {
		if r["verified"] == true {
			relayed[fmt.Sprint(r["seq"])] = 0
		}
	}
	if len(relayed) == 0 {
		t.Fatalf("no verified webhook in the run:\n%s", rec.Text())
	}
	for _, f := range testkit.Find(all, "forwarded") {
		seq := fmt.Sprint(f["seq"])
		if _, ok := relayed[seq]; !ok {
			t.Errorf("a forwarded record for webhook %s, which was not relayed: %v", seq, f)
			continue
		}
		relayed[seq]++
		if e := fmt.Sprint(f["error"]); !strings.Contains(e, "cancelled") && !strings.Contains(e, "timed out") {
			t.Errorf("webhook %s: the hanging app's relay ended with %v, want cancelled or timed out", seq, f)
		}
	}
	for seq, n := range relayed {
		if n != 1 {
			t.Errorf("webhook %s has %d forwarded records before done, want 1:\n%s", seq, n, rec.Text())
		}
	}
}
