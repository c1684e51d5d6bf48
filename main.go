// Command linkrecovery walks a developer through testing Plaid's Link Recovery in the Plaid Sandbox,
// or, with no Plaid keys, against a built-in local emulator of the Sandbox that can also finish the
// flow end to end.
//
//	linkrecovery [flags]                  the walk-through (TUI; --no-tui for JSON lines)
//	linkrecovery emulator --addr ADDR     only the emulator, for your own app's Plaid client
//	linkrecovery audit --target URL       grade your own webhook handler (docs/audit.md)
//	linkrecovery version                  the version and VCS revision
//	linkrecovery help [command]           help on stdout (so is --help)
//	linkrecovery completion SHELL         a completion script for bash, zsh, fish or powershell
//
// Each command is one file (root_cmd.go, emulator_cmd.go, ...) built as gh builds its commands:
// newXCmd(p, runF), with runF for tests that check the parsing without running anything.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

func main() {
	// These end the context: the TUI and the headless run close the tunnel on their way out.
	ctx, stop := signal.NotifyContext(context.Background(), quitSignals...)
	// And should the way out hang, a second signal or quitGrace still ends the process.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, quitSignals...)
	go forceQuit(sigs, time.After, os.Stderr, os.Exit)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// quitSignals end the run cleanly. SIGHUP is closing the terminal window: without it the process
// dies with the ngrok session still open, and the free plan's one session stays taken for the next run.
var quitSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// quitGrace is how long a run may take to end after a signal (relays get 5 s, the receiver 5 s, then
// the tunnel and the emulator close) before the process ends without it.
const quitGrace = 30 * time.Second

// forceQuit ends the process if the run does not end after a signal: at a second signal, or
// quitGrace after the first. (signal.NotifyContext hears only the first one.)
func forceQuit(sigs <-chan os.Signal, after func(time.Duration) <-chan time.Time, stderr io.Writer, exit func(int)) {
	first := <-sigs
	select {
	case sig := <-sigs:
		fmt.Fprintf(stderr, "linkrecovery: %s again: exiting now, without finishing the shutdown\n", sig)
	case <-after(quitGrace):
		fmt.Fprintf(stderr, "linkrecovery: %s, and still running %s later: exiting now\n", first, quitGrace)
	}
	exit(1)
}

// run is main without the process: it returns the exit code, so it can be tested.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil
	}
	root := newApp(&process{args: args, getenv: getenv, stdout: stdout, stderr: stderr})
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	return exitStatus(cmd, err, stderr)
}

// newApp is the whole command tree: the walk-through at the root, one subcommand per file.
func newApp(p *process) *cobra.Command {
	root := newRootCmd(p, nil)
	root.AddCommand(
		newEmulatorCmd(p, nil),
		newAuditCmd(p, nil),
		newVersionCmd(),
		newEnvironmentTopic(),
	)
	finishTree(root, p.stdout, p.stderr)
	return root
}
