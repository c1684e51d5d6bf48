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
	"github.com/spf13/pflag"
)

// -update-cli-docs rewrites docs/cli.md and the README's flag list from the commands. (Not -update:
// a package main test of another part may want that name.)
var updateCLIDocs = flag.Bool("update-cli-docs", false, "rewrite docs/cli.md and the README's flag list from the commands")

const (
	cliDocsFile = "docs/cli.md"
	readmeFile  = "README.md"
	// The README's flag list sits between these lines.
	readmeFlagsBegin = "<!-- flags: made from the commands by TestREADMEFlags; go test . -run TestREADMEFlags -update-cli-docs -->"
	readmeFlagsEnd   = "<!-- end of flags -->"
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

// readmeFlags is the README's flag list: the flags of the walk-through and of each subcommand that
// has its own, as their --help shows them.
func readmeFlags() string {
	root := newApp(&process{getenv: noEnv, stdout: io.Discard, stderr: io.Discard})
	var b strings.Builder
	b.WriteString("```\n")
	for _, c := range append([]*cobra.Command{root}, root.Commands()...) {
		if !c.IsAvailableCommand() || c.Name() == "help" || c.Name() == "completion" || !hasOwnFlags(c) {
			continue
		}
		if c != root {
			b.WriteString("\n")
		}
		b.WriteString(c.UseLine() + "\n")
		b.WriteString(c.LocalFlags().FlagUsagesWrapped(usageWidth))
	}
	b.WriteString("```\n")
	return b.String()
}

// hasOwnFlags says whether c has a flag besides --help.
func hasOwnFlags(c *cobra.Command) bool {
	own := false
	c.LocalFlags().VisitAll(func(f *pflag.Flag) { own = own || f.Name != "help" })
	return own
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

// TestREADMEFlags: the README's flag list is what the commands say now.
func TestREADMEFlags(t *testing.T) {
	b, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	before, rest, ok1 := strings.Cut(readme, readmeFlagsBegin+"\n")
	got, after, ok2 := strings.Cut(rest, readmeFlagsEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s has no flag list between %q and %q", readmeFile, readmeFlagsBegin, readmeFlagsEnd)
	}
	want := readmeFlags()
	if *updateCLIDocs && got != want {
		got = want
		if err := os.WriteFile(readmeFile, []byte(before+readmeFlagsBegin+"\n"+want+readmeFlagsEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got != want {
		t.Fatalf("the README's flag list is not what the commands say; rewrite it with: go test . -run TestREADMEFlags -update-cli-docs\n%s",
			firstDifference(got, want))
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
