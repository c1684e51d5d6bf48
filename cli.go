package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/bankdown/linkrecovery/internal/sanitize"
)

// process is what run was given: the command line, the environment and the standard streams, passed
// in so a test can give its own. Every command is built from one, as gh's are from its Factory.
type process struct {
	args           []string // as given, for the debug log
	getenv         func(string) string
	stdout, stderr io.Writer
}

// usageError is a mistake on the command line (a flag, its value, an argument): exit 2, with one
// line pointing at --help after the message: the failing command's, or that of help, when set.
type usageError struct {
	err  error
	help *cobra.Command
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{err: fmt.Errorf(format, a...)} }

// exitCode ends a command with that status, its reason already printed by the command itself.
type exitCode int

func (c exitCode) Error() string { return "exit status " + strconv.Itoa(int(c)) }

// exitWith turns a command body's status into RunE's error: nil for 0.
func exitWith(code int) error {
	if code == 0 {
		return nil
	}
	return exitCode(code)
}

// runOrHand ends each command's RunE: a test's runF gets the parsed flags in place of the run;
// otherwise run's status becomes the command's error (see exitWith).
func runOrHand[O any](o *O, runF func(*O) error, run func() int) error {
	if runF != nil {
		return runF(o)
	}
	return exitWith(run())
}

// exitStatus prints err once on stderr, prefixed with the command that failed, and returns the
// process's exit code: 2 for a usage error (with the pointer at --help), 1 for any other.
func exitStatus(cmd *cobra.Command, err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	path := "linkrecovery"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	// The message quotes the command line, which could hold terminal escapes.
	fmt.Fprintf(stderr, "%s: %s\n", path, sanitize.Text(err.Error()))
	var usage *usageError
	if !errors.As(err, &usage) {
		return 1
	}
	if usage.help != nil {
		path = usage.help.CommandPath()
	}
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", path)
	return 2
}

// finishTree gives every command the same behaviour: help and completion commands, help on stdout,
// errors printed once by run (SilenceErrors, SilenceUsage), flags in the order they were declared,
// flag help wrapped to fit a terminal, and argument mistakes as usage errors.
func finishTree(root *cobra.Command, stdout, stderr io.Writer) {
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.SetFlagErrorFunc(flagError)
	root.SetUsageTemplate(wrappedUsageTemplate(root.UsageTemplate()))

	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Run, c.RunE = nil, helpTopic
		case "completion":
			// Runnable, so that a shell it does not know is refused rather than shown the help.
			c.Args, c.RunE = noArgs, func(c *cobra.Command, _ []string) error { return c.Help() }
			for _, shell := range c.Commands() {
				shell.Args = noArgs
			}
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().SortFlags = false
		c.SuggestionsMinimumDistance = 2
		c.InitDefaultHelpFlag()
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// completeFlag offers a flag's values ("value" or "value\tdescription") to shell completion.
func completeFlag(c *cobra.Command, name string, values ...string) {
	_ = c.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// usageWidth is the width flag help wraps at (cobra's own template does not wrap).
const usageWidth = 100

// wrappedUsageTemplate is cobra's usage template with {{.LocalFlags.FlagUsages | ...}} (and the
// inherited flags' line) wrapped at usageWidth.
func wrappedUsageTemplate(t string) string {
	return flagUsagesCall.ReplaceAllString(t, fmt.Sprintf("{{(.$1.FlagUsagesWrapped %d) |", usageWidth))
}

var flagUsagesCall = regexp.MustCompile(`\{\{\.(\w+)\.FlagUsages \|`)

// helpTopic is `help [command]`: cobra's own prints the root's usage and exits 0 for a topic it does
// not know, and shows the root's help for any word the root takes as an argument.
func helpTopic(c *cobra.Command, args []string) error {
	topic, rest, err := c.Root().Find(args)
	if err == nil && len(rest) == 0 {
		topic.InitDefaultHelpFlag()
		return topic.Help()
	}
	msg := fmt.Sprintf("no help topic %q", strings.Join(args, " "))
	if err == nil {
		msg += didYouMean(topic, rest[0])
	}
	return &usageError{err: errors.New(msg), help: c.Root()}
}

// noArgs refuses positional arguments as a usage error, suggesting a command for a near miss.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return usagef("unexpected argument %q%s", args[0], didYouMean(c, args[0]))
}

// didYouMean names c's subcommands near word, as " (did you mean X?)", or is "".
func didYouMean(c *cobra.Command, word string) string {
	s := c.SuggestionsFor(word)
	switch len(s) {
	case 0:
		return ""
	case 1:
		return " (did you mean " + s[0] + "?)"
	}
	return " (did you mean " + strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1] + "?)"
}

// flagError rewords pflag's parse errors so each names its flag once and says what to write instead.
func flagError(c *cobra.Command, err error) error {
	var (
		invalid  *pflag.InvalidValueError
		notExist *pflag.NotExistError
	)
	switch {
	case errors.As(err, &invalid):
		return usagef("--%s %s", invalid.GetFlag().Name, badValue(invalid))
	case errors.As(err, &notExist):
		if sh := notExist.GetSpecifiedShortnames(); sh != "" {
			// -auto: Go's flag package took one dash; pflag reads it as -a -u -t -o.
			if long, _, _ := strings.Cut(sh, "="); c.Flags().Lookup(long) != nil {
				return usagef("-%s is not a flag: long flags take two dashes, as in --%s", sh, long)
			}
			return &usageError{err: err}
		}
		if near := nearestFlag(c.Flags(), notExist.GetSpecifiedName()); near != "" {
			return usagef("unknown flag --%s (did you mean --%s?)", notExist.GetSpecifiedName(), near)
		}
	}
	return &usageError{err: err}
}

// badValue says what is wrong with a flag's value. pflag's own numbers and booleans fail with
// strconv's words; this program's own flag types (durationFlag) already name the value and the fix.
func badValue(e *pflag.InvalidValueError) string {
	var num *strconv.NumError
	if errors.As(e, &num) {
		if num.Func == "ParseBool" {
			return fmt.Sprintf("takes true or false, not %q", e.GetValue())
		}
		return fmt.Sprintf("takes a whole number, not %q", e.GetValue())
	}
	return errors.Unwrap(e).Error()
}

// nearestFlag is the flag name was likely meant to be: the only one it begins (--webhook-t), else
// the nearest within two edits (--halff); "" when none is near.
func nearestFlag(fs *pflag.FlagSet, name string) string {
	var prefixed []string
	best, bestD := "", 3
	fs.VisitAll(func(f *pflag.Flag) {
		if strings.HasPrefix(f.Name, name) {
			prefixed = append(prefixed, f.Name)
		}
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	if len(prefixed) == 1 {
		return prefixed[0]
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// versionLine is what --version prints: the module version and the VCS revision Go stamped into the
// binary (go build in a git checkout), so a bug report names the exact build.
func versionLine() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "linkrecovery (no build info: built without module support)"
	}
	return formatVersion(bi)
}

func formatVersion(bi *debug.BuildInfo) string {
	version := bi.Main.Version
	if version == "" {
		version = "(unknown version)"
	}
	rev, when, dirty := "", "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	out := fmt.Sprintf("linkrecovery %s", version)
	switch {
	case rev == "":
		out += " (no VCS revision: built outside a git checkout, or with -buildvcs=false)"
	default:
		out += " revision " + rev
		if dirty {
			out += " (modified)"
		}
		if when != "" {
			out += " from " + when
		}
	}
	return out + ", " + bi.GoVersion
}

// isTerminal says whether w is a terminal the TUI can draw on.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// interfaceAddrs lists this machine's addresses; tests replace it.
var interfaceAddrs = net.InterfaceAddrs

// checkPublicHost makes sure --public-host names an address of this machine: the demo servers
// listen on every local interface, so a phone can only reach them at one of those addresses.
func checkPublicHost(ctx context.Context, host string) error {
	if host == "" {
		return nil
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupIPAddr(rctx, host)
		if err != nil {
			return fmt.Errorf("--public-host %s: cannot resolve that name (%v); give this machine's LAN address instead, e.g. --public-host 192.168.1.20", host, err)
		}
		ips = ips[:0]
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	own, err := interfaceAddrs()
	if err != nil {
		return fmt.Errorf("--public-host %s: cannot list this machine's addresses (%v)", host, err)
	}
	var mine []string
	for _, a := range own {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		mine = append(mine, n.IP.String())
		for _, ip := range ips {
			if ip.Equal(n.IP) {
				return nil
			}
		}
	}
	return fmt.Errorf("--public-host %s is not an address of this machine, so a phone could not reach the demo there; use one of: %v", host, mine)
}
