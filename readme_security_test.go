package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var updateAttackCounts = flag.Bool("update-attack-counts", false, "rewrite docs/security.md's table of attack classes the tests try")

// securityDoc holds the table of attack classes (it was the README's Security section; the test
// keeps its name, which the project's guide and other branches run).
const securityDoc = "docs/security.md"

// The table of attack classes sits between these lines.
const (
	attackCountsBegin = "<!-- attack-counts: made from the test files by TestREADMEAttackCounts; go test . -run TestREADMEAttackCounts -update-attack-counts -->"
	attackCountsEnd   = "<!-- attack-counts: end -->"
)

// attackClasses are the attack classes the project's tests try, each with the pattern that picks
// its tests by function name. Counting by name keeps the method plain (anyone can redo it with
// grep, as docs/security.md says) at the price of precision: a test counts once whatever its table
// holds, and a name can match two classes.
var attackClasses = []struct{ class, tries, pattern string }{
	{"Forged, replayed and misdirected webhooks", "unsigned, wrong `alg`, unknown or expired `kid`, stale `iat`, a body that does not match its hash, duplicates, senders outside Plaid's addresses, `/complete` without the nonce",
		`Verif|Forged|Unverified|Kid|JWK|SignRejects|TrustedOnlyVerified|OnlyPlaidIPs|WithoutNonce|CountsOnlyWithNonce|RejectedRequest|ReceiverHostile|FuzzReceiver|DuplicateWebhooks|Dedupes`},
	{"Control bytes for terminals and logs", "ESC, OSC, CSI, C1, bidi marks, CR and newlines in webhooks, Plaid's answers, an opener's output, the debug log, the emulator's console",
		`Inert|Escape|HostileText|HostileWebhook|TitleSequence|DebugLogKeeps|Console|FuzzText|FuzzDebugLog`},
	{"Secrets in output", "keys and tokens echoed in errors, in every field of a record, on screen, in logs, in config parse errors; short secrets; URL passwords",
		`Secret|Mask|Scrub|Redact|NeverQuote|Echoed`},
	{"Files that are not what they seem", "symbolic links, FIFOs, directories and loose permissions at the transcript, the debug log, `--keys-file`, `.env`",
		`Symlink|FIFO|Tighten|RefusesDirectory|ReadRegularFile|Private`},
	{"Hostile or broken Plaid answers", "redirects, huge answers and gzip bombs, bodies that do not decode, pages that are not Plaid's, tokens in odd fields, URLs too long for a QR code or with odd schemes",
		`PlaidClient|Undecodable|NotPlaid|AccountName|ExchangeError|TooLong|Scheme`},
	{"Exhaustion and runs that never end", "floods, oversize and stalled bodies, slow readers, hanging servers, the key-lookup budget, bounded state and history, a stuck shutdown",
		`Limit|Bounded|Budget|Flood|Oversize|Memory|SlowReader|Stalled|ServerHangs|ForceQuit|Caps|EndsWhenPlaidDies|AlwaysEnds`},
	{"Cross-site and keyless control", "cross-site forms, `Origin`, `Host` (DNS rebinding), CSP and framing, keyless faults and restores",
		`CrossSite|OtherSites|NeedKeys|Keyless|CSP|Rebind`},
	{"Outbound targets", "webhook targets (link-local, cloud metadata, IPv4 inside IPv6), relay loops, a `PLAID_BASE_URL` outside the Sandbox, proxies",
		`TargetsAreGuarded|SenderGuards|LoopGuard|SandboxOnly|ProxyRefuses|Metadata`},
	{"Fuzzing (of any class above)", "random input to the receiver, the verifier, the sanitiser, the debug log's writer, the `.env` locator", `^Fuzz`},
}

// testNames are the names of the test and fuzz functions in every _test.go file under root.
func testNames(t *testing.T, root string) []string {
	t.Helper()
	fn := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)[A-Za-z0-9_]+)\(`)
	var names []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && path != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range fn.FindAllStringSubmatch(string(b), -1) {
			names = append(names, m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// attackCounts is the table, counted from names.
func attackCounts(names []string) string {
	var b strings.Builder
	b.WriteString("| Attack class | What the tests try | Tests | Name pattern |\n|---|---|---:|---|\n")
	for _, c := range attackClasses {
		re := regexp.MustCompile(c.pattern)
		n := 0
		for _, name := range names {
			if re.MatchString(name) {
				n++
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %d | `%s` |\n", c.class, c.tries, n, strings.ReplaceAll(c.pattern, "|", `\|`))
	}
	return b.String()
}

// TestREADMEAttackCounts: docs/security.md's table of attack classes counts the tests there are now.
func TestREADMEAttackCounts(t *testing.T) {
	checkDocSection(t, securityDoc, "attack table", attackCountsBegin, attackCountsEnd, attackCounts(testNames(t, ".")), *updateAttackCounts,
		"go test . -run TestREADMEAttackCounts -update-attack-counts")
}

// Every class picks at least one test, and the counting sees this very file's test.
func TestAttackClassesEachFindTests(t *testing.T) {
	names := testNames(t, ".")
	if !slices.Contains(names, "TestREADMEAttackCounts") {
		t.Fatalf("the walk missed this file: %d names", len(names))
	}
	for _, c := range attackClasses {
		re := regexp.MustCompile(c.pattern)
		if !slices.ContainsFunc(names, re.MatchString) {
			t.Errorf("class %q matches no test", c.class)
		}
	}
}
