package tui

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/bankdown/linkrecovery/flows"
)

// runHalf runs a whole half with --auto against a real demo Env (the emulator in-process, the
// receiver on loopback) and returns the final model and the transcript's records.
func runHalf(t *testing.T, half flows.Half) (model, []flows.Record) {
	t.Helper()
	env := demoEnv(t, flows.Config{})
	path := filepath.Join(t.TempDir(), "transcript.jsonl")
	tr, err := flows.OpenTranscript(path)
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Env: env, Half: half, Auto: true, Transcript: tr})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	waitForText(t, tm, testWait, "SESSION_FINISHED received: verified", "Public token exchanged", "item_id")
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
func checkTranscript(t *testing.T, recs []flows.Record, half flows.Half, item flows.Item) {
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
	if last["event"] != "done" || last["passed"] != true || last["half"] != float64(half) {
		t.Fatalf("last record but late webhooks %v, want a passing done for half %d", last, half)
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
	fm, recs := runHalf(t, flows.HalfSession)
	fin := fm.half(flows.HalfSession).driver().mach.Fin
	if fin.Item == nil || fin.Item.ItemID == "" || fin.Source != "webhook" || fin.WebhookSeq == 0 {
		t.Fatalf("final session: %+v", fin)
	}
	if v := fm.View(); !strings.Contains(v, fin.Item.ItemID) || strings.Contains(v, fin.Item.AccessToken) {
		t.Fatalf("final view:\n%s", v)
	}
	checkTranscript(t, recs, flows.HalfSession, *fin.Item)
}

func TestTeaHalf1Auto(t *testing.T) {
	fm, recs := runHalf(t, flows.HalfSignup)
	s := fm.half(flows.HalfSignup).(*signupModel)
	if p := s.mach.Signup().Progress(); !p.InstitutionDown || !p.OptedIn {
		t.Fatalf("sign-up steps not seen: %+v", p)
	}
	if !s.mach.Signup().Restored || len(s.inbox.emails) == 0 || s.inbox.emails[0].To != "example@plaid.com" {
		t.Fatalf("no recovery e-mail: restored=%v inbox=%v", s.mach.Signup().Restored, s.inbox.emails)
	}
	if s.mach.Fin.Item == nil || s.mach.Fin.Source != "webhook" {
		t.Fatalf("recovery session: %+v", s.mach.Fin)
	}
	checkTranscript(t, recs, flows.HalfSignup, *s.mach.Fin.Item)
}
