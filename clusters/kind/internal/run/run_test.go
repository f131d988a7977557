package run

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestOutput(t *testing.T) {
	var log strings.Builder
	out, err := Command{Name: "sh", Args: []string{"-c", "echo out; echo err >&2"}}.Output(context.Background(), &log)
	if err != nil || out != "out\n" {
		t.Fatalf("Output = %q, %v; want %q, nil", out, err, "out\n")
	}
	if got, want := log.String(), "+ sh -c echo out; echo err >&2\n"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
}

func TestOutputFailure(t *testing.T) {
	_, err := Command{Name: "sh", Args: []string{"-c", "echo partial; echo reason >&2; exit 3"}, Env: []string{"X=1"}}.Output(context.Background(), nil)
	var runErr *Error
	if !errors.As(err, &runErr) {
		t.Fatalf("err = %v (%T), want *Error", err, err)
	}
	if runErr.Command != "sh -c echo partial; echo reason >&2; exit 3" || runErr.Output != "reason\npartial\n" {
		t.Errorf("Error = %+v", runErr)
	}
	if want := "sh -c echo partial; echo reason >&2; exit 3: exit status 3\nreason\npartial"; err.Error() != want {
		t.Errorf("message = %q, want %q", err.Error(), want)
	}
}

func TestStdinAndDir(t *testing.T) {
	dir := t.TempDir()
	out, err := Command{Dir: dir, Stdin: strings.NewReader("fed"), Name: "sh", Args: []string{"-c", "cat; pwd"}}.Output(context.Background(), nil)
	if err != nil || out != "fed"+dir+"\n" {
		t.Fatalf("Output = %q, %v", out, err)
	}
}

func TestLastLines(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb\n", 5, "a\nb"},
		{"", 3, ""},
		{"\n\n", 3, ""},
	}
	for _, tt := range tests {
		if got := LastLines(tt.in, tt.n); got != tt.want {
			t.Errorf("LastLines(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
