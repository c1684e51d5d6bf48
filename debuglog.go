package main

import (
	"fmt"
	"io"
	"log"

	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/privfile"
)

// debugLogFile is where LINKRECOVERY_DEBUG logs go, in the working directory.
const debugLogFile = "linkrecovery-debug.log"

// openDebugLog points the standard logger at path, as tea.LogToFile would, but owner-only, never
// through a symlink, and through env.DebugLogWriter: one inert line per record, every known
// secret masked.
func openDebugLog(path string) (io.Closer, error) {
	f, err := privfile.Append(path)
	if err != nil {
		return nil, fmt.Errorf("LINKRECOVERY_DEBUG: cannot open the debug log %s: %w", path, err)
	}
	log.SetOutput(env.DebugLogWriter(f))
	log.SetPrefix("linkrecovery ")
	return f, nil
}
