package spec

import (
	"sort"
	"testing"
)

// RequestFields returns the property names (sorted) and the required ones of the JSON request body of
// POST path, or of the object under its top-level property object when object is not "". It fails the
// test when the path, its request body or the object is not in the spec.
func (d *Doc) RequestFields(t testing.TB, path, object string) (props, required []string) {
	t.Helper()
	op, err := d.operation("POST", path)
	if err != nil {
		t.Fatal(err)
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		t.Fatalf("spec: POST %s has no request body", path)
	}
	s, err := jsonSchema(op.RequestBody.Value.Content)
	if err != nil {
		t.Fatalf("spec: POST %s request: %v", path, err)
	}
	if object != "" {
		ref := s.Properties[object]
		if ref == nil || ref.Value == nil {
			t.Fatalf("spec: POST %s request has no object property %q", path, object)
		}
		s = ref.Value
	}
	for name := range s.Properties {
		props = append(props, name)
	}
	sort.Strings(props)
	return props, append([]string(nil), s.Required...)
}
