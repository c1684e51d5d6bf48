// Package jsonkind names the kind of a value decoded by encoding/json, for error messages that say
// what a body is when it is not the object expected ("not an array").
package jsonkind

import (
	"encoding/json"
	"fmt"
)

// Of returns "null", "an array", "a string", "a number", "a boolean" or "an object" for a value
// json.Unmarshal put in an any; for anything else, its Go type.
func Of(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
