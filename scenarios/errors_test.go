package scenarios

import (
	"errors"
	"fmt"
	"testing"
)

func TestInputErrorText(t *testing.T) {
	tests := []struct {
		err  InputError
		want string
	}{
		{InputError{File: "file.yaml", Line: 12, Field: "steps[1].cidr", Msg: `invalid CIDR "10.0.0.0": no prefix length`},
			`file.yaml:12: steps[1].cidr: invalid CIDR "10.0.0.0": no prefix length`},
		{InputError{File: "file.yaml", Field: "name", Msg: "required"}, "file.yaml: name: required"},
		{InputError{Line: 3, Msg: "bad"}, "line 3: bad"},
		{InputError{Field: "--focus", Msg: "bad"}, "--focus: bad"},
		{InputError{Msg: "bad"}, "bad"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestErrorsUnwrap(t *testing.T) {
	first := &InputError{File: "a.yaml", Line: 1, Msg: "one"}
	second := &InputError{File: "b.yaml", Line: 2, Msg: "two"}
	wrapped := fmt.Errorf("load: %w", Errors{first, second})
	var got *InputError
	if !errors.As(wrapped, &got) || got != first {
		t.Errorf("errors.As found %v, want the first InputError", got)
	}
	if !errors.Is(wrapped, second) {
		t.Errorf("errors.Is does not reach the second InputError")
	}
	if want := "load: a.yaml:1: one\nb.yaml:2: two"; wrapped.Error() != want {
		t.Errorf("got %q, want %q", wrapped.Error(), want)
	}
	if err := (Errors{}).orNil(); err != nil {
		t.Errorf("empty Errors gave %v", err)
	}
}

func TestPaths(t *testing.T) {
	got := []string{joinPath("", "a"), joinPath("a", "b"), joinPath("a", "[0]"), joinPath("a", ""), indexPath("steps", 3),
		parentPath("a.b[2]"), parentPath("a.b"), parentPath("a")}
	equalJSON(t, "paths", got, []string{"a", "a.b", "a[0]", "a", "steps[3]", "a.b", "a", ""})
	lines := map[string]int{"": 1, "model": 2, "model.namespaces[0].labels": 5}
	gotLines := []int{lineOf(lines, "model.namespaces[0].labels.kubernetes.io/metadata.name"), lineOf(lines, "model.namespaces[1]"), lineOf(lines, "steps")}
	equalJSON(t, "lines", gotLines, []int{5, 2, 1})
}
