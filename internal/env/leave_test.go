package env_test

import (
	"strings"
	"testing"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/report"
	"github.com/bankdown/linkrecovery/internal/runreport"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// The leave scenario with --auto: the emulator walks to Exit, Plaid's SESSION_FINISHED says EXITED
// with no public token, and the run passes having exchanged nothing.
func TestLeaveAutoDemo(t *testing.T) {
	e := testkit.DemoEnv(t, env.Config{})
	rec := mustPass(t, e, env.RunOptions{Scenario: "leave", Auto: true})
	recs := rec.All()
	testkit.AssertOrder(t, recs, "ready", "link_token_created", "webhook", "done")
	var exited bool
	for _, w := range testkit.Find(recs, "webhook") {
		exited = exited || w["webhook_code"] == "SESSION_FINISHED" && w["status"] == "EXITED" && w["verified"] == true &&
			w["public_token_count"] == nil && w["link_token"] == testkit.Find(recs, "link_token_created")[0]["link_token"]
	}
	if !exited {
		t.Errorf("no verified EXITED SESSION_FINISHED for the token:\n%s", rec.Text())
	}
	if n := len(testkit.Find(recs, "public_token_exchanged")); n != 0 {
		t.Errorf("%d exchanges in the leave scenario", n)
	}
	done := recs[len(recs)-1]
	if done["event"] != "done" || done["passed"] != true || done["scenario"] != "leave" || done["half"] != nil || done["via"] != "webhook" {
		t.Errorf("done = %v", done)
	}
	var left bool
	for _, ev := range rec.Events() {
		switch f := ev.Fact.(type) {
		case flows.LeftLink:
			left = true
		case flows.PlaidCall:
			if f.Endpoint == "/item/public_token/exchange" {
				t.Errorf("the leave scenario called %s", f.Endpoint)
			}
		}
	}
	if !left {
		t.Error("no LeftLink event")
	}
	// The report of the run says why it passed in the scenario's words: no public token came.
	b := runreport.New("leave")
	for _, ev := range rec.Events() {
		b.Add(ev)
	}
	md := string(report.Markdown(b.Run()))
	if !strings.Contains(md, "✅ passed: a verified SESSION_FINISHED webhook said the person left Link") || strings.Contains(md, "public token came") {
		t.Errorf("the report's verdict:\n%s", md)
	}
}
