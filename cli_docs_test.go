package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// -update-cli-docs rewrites docs/cli.md from the commands. (Not -update: a package main test of
// another part may want that name.)
var updateCLIDocs = flag.Bool("update-cli-docs", false, "rewrite docs/cli.md from the commands")

const (
	cliDocsFile = "docs/cli.md"
	readmeFile  = "README.md"
)

// cliDocs is docs/cli.md: every command and help topic, in cobra's own Markdown (cobra/doc), on one
// page, its "see also" links turned into links to the page's own headings.
func cliDocs(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("# The command line\n\n<!-- Made from the commands by TestCLIDocs: do not edit; go test . -run TestCLIDocs -update-cli-docs -->\n\n")
	anchor := func(file string) string {
		return "#" + strings.ReplaceAll(strings.TrimSuffix(file, ".md"), "_", "-")
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && !c.IsAdditionalHelpTopicCommand() && c.HasParent() {
			return
		}
		c.DisableAutoGenTag = true // no date: the page changes only when the commands do
		if err := doc.GenMarkdownCustom(c, &b, anchor); err != nil {
			t.Fatal(err)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newApp(&process{getenv: noEnv, stdout: io.Discard, stderr: io.Discard}))
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// TestCLIDocs: docs/cli.md is what the commands say now.
func TestCLIDocs(t *testing.T) {
	want := cliDocs(t)
	if *updateCLIDocs {
		if err := os.MkdirAll("docs", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cliDocsFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(cliDocsFile)
	if err != nil || string(got) != want {
		t.Fatalf("%s is not what the commands say (%v); rewrite it with: go test . -run TestCLIDocs -update-cli-docs\n%s",
			cliDocsFile, err, firstDifference(string(got), want))
	}
}

// checkDocSection fails unless the page file holds want between the lines begin and end, and with
// update writes want there first; fix is the command that does that.
func checkDocSection(t *testing.T, file, what, begin, end, want string, update bool, fix string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(b), begin+"\n")
	got, after, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		t.Fatalf("%s has no %s between %q and %q", file, what, begin, end)
	}
	if update && got != want {
		got = want
		if err := os.WriteFile(file, []byte(before+begin+"\n"+want+end+after), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got != want {
		t.Fatalf("the %s in %s is stale; rewrite it with: %s\n%s", what, file, fix, firstDifference(got, want))
	}
}

// firstDifference shows the first line where got and want part.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  have %q\n  want %q", i+1, gl, wl)
		}
	}
	return "(they differ only in line endings)"
}
