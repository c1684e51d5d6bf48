package tui

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// runTUI runs a whole scenario with --auto in the TUI against a real demo Env (the emulator
// in-process, the receiver on loopback) until its transcript has a done record, and returns the
// final model and the transcript's records.
func runTUI(t *testing.T, scenario string) (model, []flows.Record) {
	t.Helper()
	e := testkit.DemoEnv(t, env.Config{})
	path := filepath.Join(t.TempDir(), "transcript.jsonl")
	tr, err := flows.OpenTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, New(Options{Env: e, Scenario: scenario, Auto: true, Transcript: tr}), teatest.WithInitialTermSize(120, 40))
	testkit.Eventually(t, scenario+" ends in the TUI", func() bool {
		return len(testkit.Find(readRecords(t, path), "done")) > 0
	})
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm, ok := tm.FinalModel(t, teatest.WithFinalTimeout(testWait)).(model)
	if !ok {
		t.Fatal("final model is not a model")
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("transcript mode: %v %v", info.Mode(), err)
	}
	return fm, readRecords(t, path)
}

// TestTUIAndHeadlessAgreeWithAuto: the TUI and a headless run of every scenario with --auto, each
// against its own demo emulator, write the same records: the same kinds with the same fields in
// the same order (webhooks, which interleave with the rest as they arrive, compared as a set), up
// to the same done.
func TestTUIAndHeadlessAgreeWithAuto(t *testing.T) {
	for _, sc := range flows.Scenarios {
		name := sc.Info().Name
		t.Run(name, func(t *testing.T) {
			_, tuiRecs := runTUI(t, name)
			rec := testkit.NewRecorder(t)
			env.RunHeadless(testkit.Context(t), testkit.DemoEnv(t, env.Config{}), env.RunOptions{Scenario: name, Auto: true}, rec.Emit)
			path := filepath.Join(t.TempDir(), "headless.jsonl")
			if err := os.WriteFile(path, []byte(rec.Text()), 0o600); err != nil {
				t.Fatal(err)
			}
			headless := readRecords(t, path)
			tm, th := summarise(tuiRecs), summarise(headless)
			if tm != th {
				t.Errorf("the TUI and headless runs differ\nTUI:\n%s\nheadless:\n%s", tm, th)
			}
			if !strings.Contains(th, `done{`) || !strings.Contains(th, "passed=true") {
				t.Errorf("the headless run did not pass:\n%s", rec.Text())
			}
		})
	}
}

// summarise is a run's records up to its done: the shape of each record but the webhooks and the
// sign-up's progress, in order; the code and status of the webhooks of the session that decided
// the outcome (those of an earlier session of the same token, such as the sign-up session's own
// EXITED, may arrive before or after the outcome, as Plaid's may); the last progress; and the done
// record's values.
func summarise(recs []flows.Record) string {
	var main []string
	var hooks []flows.Record
	var progress, done, deciding, withItem string
	for _, r := range recs {
		switch r["event"] {
		case "webhook":
			hooks = append(hooks, r)
			if r["webhook_code"] == "SESSION_FINISHED" && r["verified"] == true {
				deciding = fmt.Sprint(r["link_session_id"])
				if r["public_token_count"] != nil {
					withItem = deciding
				}
			}
			continue
		case "progress":
			progress = fmt.Sprintf("progress %v %v", r["institution_down"], r["opted_in"])
			continue
		}
		main = append(main, shape(r))
		if r["event"] == "done" {
			done = fmt.Sprintf("scenario=%v half=%v passed=%v via=%v reason=%v", r["scenario"], r["half"], r["passed"], r["via"], r["reason"])
			break
		}
	}
	if withItem != "" {
		deciding = withItem // the session whose Item was exchanged
	}
	var decided []string
	for _, h := range hooks {
		if fmt.Sprint(h["link_session_id"]) == deciding {
			decided = append(decided, fmt.Sprintf("%v/%v/verified=%v/%s", h["webhook_code"], h["status"], h["verified"], shape(h)))
		}
	}
	sort.Strings(decided)
	return strings.Join(main, "\n") + "\n" + strings.Join(decided, "\n") + "\n" + progress + "\n" + done
}

func readRecords(t *testing.T, path string) []flows.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []flows.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r flows.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("transcript line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

// checkTranscript wants the headless event names in order and a passing done record.
func checkTranscript(t *testing.T, recs []flows.Record, half string, item flows.Item) {
	t.Helper()
	var names []string
	for _, r := range recs {
		names = append(names, r["event"].(string))
	}
	joined := strings.Join(names, ",")
	for _, want := range []string{"link_token_created", "webhook", "public_token_exchanged", "done"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("transcript lacks %q: %s", want, joined)
		}
	}
	if strings.Index(joined, "link_token_created") > strings.Index(joined, "public_token_exchanged") ||
		strings.Index(joined, "public_token_exchanged") > strings.LastIndex(joined, "done") {
		t.Fatalf("transcript out of order: %s", joined)
	}
	// The last record that is not a webhook is a passing done: webhooks about the half's earlier
	// sessions (the sign-up session's EXITED) may still arrive after it, as Plaid's do.
	last := recs[len(recs)-1]
	for i := len(recs) - 1; i > 0 && last["event"] == "webhook"; i-- {
		last = recs[i-1]
	}
	if last["event"] != "done" || last["passed"] != true || last["scenario"] != half {
		t.Fatalf("last record but late webhooks %v, want a passing done for %s", last, half)
	}
	for _, r := range recs {
		if r["event"] == "public_token_exchanged" && r["item_id"] != item.ItemID {
			t.Fatalf("exchanged item %v, model has %q", r["item_id"], item.ItemID)
		}
	}
	raw, _ := json.Marshal(recs)
	if strings.Contains(string(raw), item.AccessToken) {
		t.Fatal("the access token is in the transcript")
	}
}

func TestTeaHalf2Auto(t *testing.T) {
	fm, recs := runTUI(t, nSession)
	fin := fm.byName(nSession).driver().st.Wait
	if fin.Item == nil || fin.Item.ItemID == "" || fin.Via != "webhook" || fin.WebhookSeq == 0 {
		t.Fatalf("final session: %+v", fin)
	}
	if v := fm.View(); !strings.Contains(v, fin.Item.ItemID) || strings.Contains(v, fin.Item.AccessToken) {
		t.Fatalf("final view:\n%s", v)
	}
	checkTranscript(t, recs, nSession, *fin.Item)
}

func TestTeaHalf1Auto(t *testing.T) {
	fm, recs := runTUI(t, nSignup)
	s := fm.byName(nSignup).(*signupModel)
	if p := s.own().Progress(); !p.InstitutionDown || !p.OptedIn {
		t.Fatalf("sign-up steps not seen: %+v", p)
	}
	if !s.own().Restored || len(s.inbox.emails) == 0 || s.inbox.emails[0].To != "example@plaid.com" {
		t.Fatalf("no recovery e-mail: restored=%v inbox=%v", s.own().Restored, s.inbox.emails)
	}
	if s.st.Wait.Item == nil || s.st.Wait.Via != "webhook" {
		t.Fatalf("recovery session: %+v", s.st.Wait)
	}
	checkTranscript(t, recs, nSignup, *s.st.Wait.Item)
}
