package emulatortest_test

import (
	"go/doc"
	"go/parser"
	"go/token"
	"io"
	"os"
	"strings"
	"testing"
)

// examples are this package's Examples by the name go/doc gives them. The testing package runs an
// Example once per binary run, whatever -count says; TestExamplesRepeat runs them as a test, so
// `go test -race -count=20` repeats them too and an order that depends on scheduling shows.
var examples = map[string]func(){
	"_hostedLink":   Example_hostedLink,
	"_linkRecovery": Example_linkRecovery,
	"_expiry":       Example_expiry,
	"_retry":        Example_retry,
}

// TestExamplesRepeat runs every Example in example_test.go and compares what it prints with its
// "// Output:" comment, read from the source, as `go test` does.
func TestExamplesRepeat(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "example_test.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	found := doc.Examples(f)
	if len(found) != len(examples) {
		t.Errorf("example_test.go has %d examples, the examples map %d: add the new one to the map", len(found), len(examples))
	}
	for _, ex := range found {
		run, ok := examples[ex.Name]
		if !ok {
			t.Errorf("Example%s is not in the examples map", ex.Name)
			continue
		}
		if got, want := strings.TrimSpace(captureStdout(t, run)), strings.TrimSpace(ex.Output); got != want {
			t.Errorf("Example%s printed:\n%s\nwant:\n%s", ex.Name, got, want)
		}
	}
}

// captureStdout runs fn with os.Stdout going to a pipe and returns what it wrote.
func captureStdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		out <- string(b)
	}()
	saved := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = saved }()
	fn()
	os.Stdout = saved
	w.Close()
	s := <-out
	r.Close()
	return s
}
