package main

import (
	"fmt"
	"io"

	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/report"
	"github.com/bankdown/linkrecovery/internal/runreport"
	"github.com/bankdown/linkrecovery/internal/sanitize"
)

// --report FILE: the run's Markdown report (internal/report), built from the same events as the
// records (internal/runreport) and written when the run ends, mode 0600.

// headlessReport wraps a headless run's emit: before the done record it writes the report and
// says where (a report record), or why not (an error record), so done stays the last line.
func headlessReport(path string, b *runreport.Builder, emit func(flows.Record), stderr io.Writer) func(flows.Record) {
	return func(r flows.Record) {
		if r["event"] == "done" {
			emit(writeReport(path, b.Run(), r["time"], stderr))
		}
		emit(r)
	}
}

// writeReport writes run to path and returns the record that says so (the walk-through's and the
// audit's), at the time at (done's; nil: the record has no time).
func writeReport(path string, run report.Run, at any, stderr io.Writer) flows.Record {
	rec := flows.Record{"event": "report", "path": path}
	if err := report.Write(path, run); err != nil {
		const hint = "pick a writable path for --report and run again"
		fmt.Fprintf(stderr, "linkrecovery: %s; %s\n", sanitize.Text(err.Error()), hint)
		rec = flows.Record{"event": "error", "step": "report", "message": err.Error(), "hint": hint}
	}
	if at != nil {
		rec["time"] = at
	}
	return rec
}
