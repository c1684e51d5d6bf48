package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var updateCaptures = flag.Bool("update-captures", false, "rewrite the screen captures in README.md and docs/*.md from the TUI's golden files")

// readmeMaxWords is issue 19's bound on the README: what a new user reads before running anything.
const readmeMaxWords = 1500

// documentedAhead are pages and flags the docs name before their code is on this branch: other
// branches of issue 19 bring them. Each is checked the other way round, so the list cannot rot: once
// the page or flag exists, the test asks for its line here to go.
var documentedAhead = map[string]string{}

// docPages are the Markdown pages a person reads: the README and docs/*.md.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{readmeFile}, pages...)
}

// proseWords counts the words of a Markdown page outside fenced code blocks and HTML comments:
// what a person reads as text. A word is a run of non-space characters with a letter or digit in it. Captures and command lines are code blocks and do not count.
func proseWords(md string) int {
	md = regexp.MustCompile(`(?s)<!--.*?-->`).ReplaceAllString(md, "")
	n, inCode := 0, false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode = !inCode
			continue
		}
		if inCode {
			continue
		}
		for _, f := range strings.Fields(line) {
			if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
				n++ // a word has a letter or a digit: "#", "|" and "---" are layout
			}
		}
	}
	return n
}

// TestREADMEWordCount: the README stays short (issue 19: at most 1,500 words of prose; code blocks,
// which hold the commands and the screen captures, are not counted).
func TestREADMEWordCount(t *testing.T) {
	b, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	n := proseWords(string(b))
	t.Logf("%s: %d words of prose (code blocks and comments left out)", readmeFile, n)
	if n > readmeMaxWords {
		t.Errorf("%s has %d words of prose, more than %d: move the detail to a page under docs/ and link it", readmeFile, n, readmeMaxWords)
	}
	if n < 300 {
		t.Errorf("%s has only %d words: the count is not seeing the text", readmeFile, n)
	}
}

func TestProseWords(t *testing.T) {
	md := "# Title here\n\nOne two three.\n<!-- not counted at all -->\n```sh\ngo run . --not counted\n```\nfour `five`\n"
	if got := proseWords(md); got != 7 {
		t.Errorf("proseWords = %d, want 7 (Title here One two three. four five)", got)
	}
}

// A capture is a ```text block right after a comment naming the golden file it shows:
//
//	<!-- capture: tui/testdata/TestGolden/home_demo_80x24.golden -->
var captureRE = regexp.MustCompile("(?m)^<!-- capture: (\\S+) -->\n```text\n((?s:.*?))```\n")

// ansiRE matches what a golden holds besides text: SGR colours and OSC 8 hyperlinks.
var ansiRE = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]|\x1b\\]8;[^\x1b\a]*(?:\x1b\\\\|\a)")

// captureOf is a golden screen as a page shows it: colours and links dropped, trailing blanks of
// each line cut, runs of empty lines made one, and the empty lines at the end dropped.
func captureOf(golden string) string {
	var out []string
	for _, line := range strings.Split(ansiRE.ReplaceAllString(golden, ""), "\n") {
		line = strings.TrimRight(line, " \t\r")
		if line == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, line)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n") + "\n"
}

// TestDocCaptures: every screen capture in the README and docs/ is its golden file's text, so the
// pages show the screens the TUI draws today (the goldens are checked against the TUI by
// tui's TestGolden). -update-captures rewrites them.
func TestDocCaptures(t *testing.T) {
	total := 0
	for _, page := range docPages(t) {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		text, stale := string(b), false
		text = captureRE.ReplaceAllStringFunc(text, func(block string) string {
			m := captureRE.FindStringSubmatch(block)
			total++
			g, err := os.ReadFile(filepath.FromSlash(m[1]))
			if err != nil {
				t.Errorf("%s: the capture of %s: %v", page, m[1], err)
				return block
			}
			want := captureOf(string(g))
			if m[2] == want {
				return block
			}
			if !*updateCaptures {
				t.Errorf("%s: the capture of %s is not the golden's text; rewrite it with: go test . -run TestDocCaptures -update-captures\n%s", page, m[1], firstDifference(m[2], want))
			}
			stale = true
			return "<!-- capture: " + m[1] + " -->\n```text\n" + want + "```\n"
		})
		if stale && *updateCaptures {
			if err := os.WriteFile(page, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// A capture comment whose block the pattern missed (a wrong fence, a blank line between) would
		// silently go unchecked.
		if c, m := strings.Count(text, "<!-- capture: "), len(captureRE.FindAllString(text, -1)); c != m {
			t.Errorf("%s: %d capture comments but %d capture blocks right after them", page, c, m)
		}
	}
	if total == 0 {
		t.Errorf("no capture found in %s or docs/: the README should show a real screen", readmeFile)
	}
}

func TestCaptureOf(t *testing.T) {
	golden := "\x1b[1mDEMO\x1b[0m   \n\n\n\x1b]8;;http://x/\x1b\\http://x/\x1b]8;;\x1b\\  \n\n"
	if got, want := captureOf(golden), "DEMO\n\nhttp://x/\n"; got != want {
		t.Errorf("captureOf = %q, want %q", got, want)
	}
}

// imageSources is the list docs/images/make.sh writes: the sha256 of each golden an image was
// rendered from, in sha256sum's format.
const imageSources = "docs/images/sources.sha256"

// TestDocImages: every picture of the TUI in docs/images was rendered from its golden as the golden
// is now (make.sh records each source's hash; rendering needs freeze, which tests do not run), and
// the README shows one.
func TestDocImages(t *testing.T) {
	b, err := os.ReadFile(imageSources)
	if err != nil {
		t.Fatalf("%v: run docs/images/make.sh", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var images []string
	for _, line := range lines {
		sum, src, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("%s: bad line %q", imageSources, line)
		}
		g, err := os.ReadFile(filepath.FromSlash(src))
		if err != nil {
			t.Errorf("%s names %s: %v", imageSources, src, err)
			continue
		}
		h := sha256.Sum256(g)
		if hex.EncodeToString(h[:]) != sum {
			t.Errorf("%s changed since its picture was made: run docs/images/make.sh", src)
		}
		img := "docs/images/" + strings.TrimSuffix(filepath.Base(src), ".golden") + ".svg"
		if _, err := os.Stat(img); err != nil {
			t.Errorf("%s: %v: run docs/images/make.sh", src, err)
		}
		images = append(images, img)
	}
	readme, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(images, func(img string) bool { return strings.Contains(string(readme), "("+img+")") }) {
		t.Errorf("%s shows none of the pictures %v", readmeFile, images)
	}
}

// linkRE matches a Markdown link's target.
var linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocLinks: every link from the README and docs/ to a file of this repository leads to one.
func TestDocLinks(t *testing.T) {
	for _, page := range docPages(t) {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range linkRE.FindAllStringSubmatch(string(b), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			p := filepath.ToSlash(filepath.Join(filepath.Dir(page), target))
			if _, err := os.Stat(p); err != nil {
				if _, ahead := documentedAhead[p]; ahead {
					continue
				}
				t.Errorf("%s links to %s, which is not there", page, m[1])
			}
		}
	}
	for name, why := range documentedAhead {
		if strings.HasPrefix(name, "docs/") {
			if _, err := os.Stat(name); err == nil {
				t.Errorf("%s (%s) has landed: remove it from documentedAhead", name, why)
			}
		}
	}
}

// flagMentionRE finds the places a page names the command line: inline code that starts with a flag
// or with the command (`--half 2`, `go run . --no-tui`, `linkrecovery emulator --addr ADDR`), and
// code lines that start with the command. Other tools' flags (`wsl --shutdown`, `npm ci --prefix`)
// are not ours to check.
var (
	inlineCodeRE = regexp.MustCompile("`([^`\n]+)`")
	flagRE       = regexp.MustCompile(`(?:^|\s)(--[a-z][a-z0-9-]*)`)
)

func commandLine(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "--") || strings.HasPrefix(s, "go run . ") || strings.HasPrefix(s, "linkrecovery ")
}

// allFlags are the long flags of every command, inherited ones included.
func allFlags() map[string]bool {
	flags := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) { flags["--"+f.Name] = true }
		c.LocalFlags().VisitAll(add)
		c.InheritedFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newApp(&process{getenv: noEnv, stdout: io.Discard, stderr: io.Discard}))
	return flags
}

// TestREADMEFlags: every flag the README and docs/ name is one the commands have. The full flag
// list is docs/cli.md (made from the commands by TestCLIDocs); the README names the common flags in
// its text and links that page. (The name is kept: `-run 'TestCLIDocs|TestREADMEFlags'` is how the
// project's guide refreshes the command-line docs.)
func TestREADMEFlags(t *testing.T) {
	known := allFlags()
	if !known["--no-tui"] || !known["--addr"] {
		t.Fatalf("the walk of the commands missed flags: %v", known)
	}
	seen := map[string]bool{}
	for _, page := range docPages(t) {
		if page == cliDocsFile {
			continue // made from the commands
		}
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		var spans []string
		inCode := false
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inCode = !inCode
				continue
			}
			if inCode {
				if commandLine(line) {
					spans = append(spans, line)
				}
				continue
			}
			for _, m := range inlineCodeRE.FindAllStringSubmatch(line, -1) {
				if commandLine(m[1]) {
					spans = append(spans, m[1])
				}
			}
		}
		for _, span := range spans {
			for _, m := range flagRE.FindAllStringSubmatch(span, -1) {
				f := m[1]
				seen[f] = true
				if known[f] {
					continue
				}
				if _, ahead := documentedAhead[f]; ahead {
					continue
				}
				t.Errorf("%s names %s in %q, which no command has (see docs/cli.md)", page, f, span)
			}
		}
	}
	for name, why := range documentedAhead {
		if strings.HasPrefix(name, "--") && known[name] {
			t.Errorf("%s (%s) has landed: remove it from documentedAhead", name, why)
		}
	}
	if !seen["--no-tui"] || !seen["--half"] {
		t.Errorf("found no mention of --no-tui or --half: the search is not seeing the pages (%v)", seen)
	}
	readme, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "(docs/cli.md)") {
		t.Errorf("%s does not link docs/cli.md, the full list of flags", readmeFile)
	}
}

// TestDocSkipsNameTheSpec: the README says where Plaid's spec comes from, as the tests' skip
// message does (internal/spec.Source).
func TestDocSkipsNameTheSpec(t *testing.T) {
	b, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"github.com/plaid/plaid-openapi", "2020-09-14.yml", "../shared/plaid-openapi"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not say %q: where the spec tests' file comes from", readmeFile, want)
		}
	}
}

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
