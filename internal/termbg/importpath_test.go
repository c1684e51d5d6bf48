package termbg

import (
	"fmt"
	"reflect"
	"testing"
)

// charmbracelet is the import-path prefix of Bubble Tea, whose init must run after this package's.
const charmbracelet = "github.com/charmbracelet"

// pathMarker exists so the test can ask the compiled code for this package's import path instead
// of keeping a copy of it that would go stale with the module path.
type pathMarker struct{}

// initOrderProblem explains why a package at path would no longer initialise before Bubble Tea,
// or returns nil when it still does.
func initOrderProblem(path string) error {
	if path < charmbracelet {
		return nil
	}
	return fmt.Errorf("import path %q no longer sorts before %q.\n"+
		"Go initialises packages in import-path order where dependencies allow, and this package must "+
		"initialise before github.com/charmbracelet/bubbletea, whose init asks the terminal for its "+
		"background colour (OSC 11) and can stall start-up for 5 s on terminals that never answer. "+
		"Change the module path in go.mod back to one that sorts before %q (for example "+
		"github.com/bankdown/...), or find another way to set lipgloss's background before "+
		"Bubble Tea's init; TestStartDoesNotQueryTerminal in the main package checks the effect",
		path, charmbracelet, charmbracelet)
}

// TestImportPathSortsBeforeCharmbracelet guards issue 9 item 5: the module-path trick keeps working
// only while this package's import path sorts before github.com/charmbracelet.
func TestImportPathSortsBeforeCharmbracelet(t *testing.T) {
	path := reflect.TypeOf(pathMarker{}).PkgPath()
	if path == "" {
		t.Fatal("cannot read this package's import path from reflect")
	}
	if err := initOrderProblem(path); err != nil {
		t.Fatal(err)
	}
}

// TestInitOrderProblemCatchesBadPaths checks the guard itself: a module path that sorts at or after
// github.com/charmbracelet is reported, so the test above can fail.
func TestInitOrderProblemCatchesBadPaths(t *testing.T) {
	for _, bad := range []string{
		"github.com/zeta/linkrecovery/internal/termbg",
		"github.com/charmbracelet/linkrecovery/internal/termbg",
		"linkrecovery/internal/termbg",
	} {
		if initOrderProblem(bad) == nil {
			t.Errorf("initOrderProblem(%q) = nil, want an explanation", bad)
		}
	}
	if err := initOrderProblem("github.com/aardvark/linkrecovery/internal/termbg"); err != nil {
		t.Errorf("a path sorting first was reported: %v", err)
	}
}
