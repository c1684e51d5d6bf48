package jsonkind

import (
	"encoding/json"
	"testing"
)

func TestOf(t *testing.T) {
	for body, want := range map[string]string{
		`null`: "null", `[1]`: "an array", `"x"`: "a string", `1.5`: "a number", `true`: "a boolean", `{}`: "an object",
	} {
		var v any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatal(err)
		}
		if got := Of(v); got != want {
			t.Errorf("Of(%s) = %q, want %q", body, got, want)
		}
	}
	if got := Of(42); got != "int" {
		t.Errorf("Of(42) = %q, want the Go type", got)
	}
}
