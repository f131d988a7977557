package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWriteJSONThenReadResults(t *testing.T) {
	for name, r := range map[string]*Results{"run": runFixture(), "simulate": simulateFixture()} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "results.json")
			var b bytes.Buffer
			if err := WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadResults(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, r) {
				t.Errorf("read back %+v\nwant %+v", *got, *r)
			}
		})
	}
}

func TestWriteJSONFormat(t *testing.T) {
	var b bytes.Buffer
	r := &Results{Mode: "simulate", Started: fixtureStarted, Duration: 0.5, Scenarios: []ScenarioResult{{Name: "a", Status: Pass, Steps: []StepResult{}}}}
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	want := `{
  "mode": "simulate",
  "started": "2025-03-01T12:00:00Z",
  "durationSeconds": 0.5,
  "scenarios": [
    {
      "name": "a",
      "status": "pass",
      "durationSeconds": 0,
      "steps": []
    }
  ]
}
`
	if b.String() != want {
		t.Errorf("WriteJSON wrote\n%s\nwant\n%s", b.String(), want)
	}
}

func TestReadResultsErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string // empty: the file does not exist
		want    string // the error after "read results <path>: "
	}{
		{name: "missing"},
		{name: "empty", content: " ", want: "line 1, column 1: unexpected end of JSON input"},
		{name: "syntax", content: "{\n  \"mode\": \"run\",\n  \"scenarios\": [,]\n}", want: "line 3, column 17: invalid character ',' looking for beginning of value"},
		{name: "type", content: "{\"mode\": \"run\",\n\"durationSeconds\": \"long\"}", want: "line 2, column 25: json: cannot unmarshal string into Go struct field Results.durationSeconds of type reports.Seconds"},
		{name: "trailing", content: `{"mode": "run"} {}`, want: "line 1, column 17: invalid character '{' after top-level value"},
		{name: "invalid", content: `{"mode": "dry-run"}`, want: `mode "dry-run" is not one of simulate, run`},
		{name: "null", content: `null`, want: `mode "" is not one of simulate, run`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".json")
			if tt.content != "" {
				if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r, err := ReadResults(path)
			if r != nil || err == nil {
				t.Fatalf("ReadResults = %v, %v; want an error", r, err)
			}
			want := "read results " + path + ": " + tt.want
			if tt.content == "" {
				want = "read results: open " + path + ": no such file or directory"
			}
			if err.Error() != want {
				t.Errorf("error = %q\nwant    %q", err, want)
			}
		})
	}
}

func TestLineColumn(t *testing.T) {
	data := []byte("ab\ncd\n\nef")
	tests := []struct {
		offset       int64
		line, column int
	}{
		{-5, 1, 1}, {0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {6, 3, 1}, {7, 4, 1}, {9, 4, 3}, {99, 4, 3},
	}
	for _, tt := range tests {
		line, column := lineColumn(data, tt.offset)
		if line != tt.line || column != tt.column {
			t.Errorf("lineColumn(%d) = %d:%d, want %d:%d", tt.offset, line, column, tt.line, tt.column)
		}
	}
}

// FuzzReadResults feeds arbitrary bytes to the decoder behind ReadResults and
// renders whatever it accepts: neither may panic, and accepted results must
// render without error.
func FuzzReadResults(f *testing.F) {
	for _, r := range []*Results{runFixture(), simulateFixture()} {
		var b bytes.Buffer
		if err := WriteJSON(&b, r); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	for _, seed := range []string{"", "null", "{}", `{"mode":"run","scenarios":[{"name":"a","status":"pass","steps":[{"name":"s","status":"fail","cells":[{"from":"","to":"","port":-1,"verdict":"fail"}]}]}]}`, "[1,2", strings.Repeat("[", 1000)} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeResults(data)
		if err != nil {
			if r != nil {
				t.Fatalf("decodeResults returned results with error %v", err)
			}
			return
		}
		for _, opts := range []TerminalOptions{{}, {Verbose: true, Color: true}} {
			if err := WriteTerminal(io.Discard, r, opts); err != nil {
				t.Fatalf("WriteTerminal: %v", err)
			}
		}
		if err := WriteJUnit(io.Discard, r); err != nil {
			t.Fatalf("WriteJUnit: %v", err)
		}
		if err := WriteHTML(io.Discard, r); err != nil {
			t.Fatalf("WriteHTML: %v", err)
		}
	})
}

// A step that defers its explanations has them in results.json (streamed,
// over several chunks) and in json.Marshal (the HTML page's data), and a
// cell's own explanation wins.
func TestDeferredExplanationsAreWritten(t *testing.T) {
	st := StepResult{Name: "big", Status: Pass}
	for i := range explainChunk*2 + 3 {
		st.Cells = append(st.Cells, Cell{From: "x/a", To: fmt.Sprintf("x/p%d", i), Port: 80, Protocol: "TCP", Verdict: "allowed"})
	}
	st.Cells[5].Explanation = "its own"
	st.SetExplain(func(c *Cell) (string, error) { return "why " + c.To, nil })
	r := &Results{Mode: "simulate", Started: fixtureStarted, Scenarios: []ScenarioResult{{Name: "s", Status: Pass, Steps: []StepResult{st}}}}
	want := func(i int) string {
		if i == 5 {
			return "its own"
		}
		return fmt.Sprintf("why x/p%d", i)
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	back, err := decodeResults(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	marshalled, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var plain StepResult
	if err := json.Unmarshal(marshalled, &plain); err != nil {
		t.Fatal(err)
	}
	for i := range st.Cells {
		if got := back.Scenarios[0].Steps[0].Cells[i].Explanation; got != want(i) {
			t.Fatalf("WriteJSON cell %d: %q, want %q", i, got, want(i))
		}
		if got := plain.Cells[i].Explanation; got != want(i) {
			t.Fatalf("json.Marshal cell %d: %q, want %q", i, got, want(i))
		}
	}
	if st.Cells[0].Explanation != "" {
		t.Error("writing stored the explanation in the step's own cells")
	}
}

// An explanation that cannot be given (the oracle contradicting itself)
// fails the writing, naming the cell, in both ways of writing.
func TestDeferredExplanationErrorFailsWriting(t *testing.T) {
	st := StepResult{Name: "s", Status: Pass}
	for i := range explainChunk + 10 {
		st.Cells = append(st.Cells, Cell{From: "x/a", To: fmt.Sprintf("x/p%d", i), Port: 80, Protocol: "TCP", Verdict: "allowed"})
	}
	st.SetExplain(func(c *Cell) (string, error) {
		if c.To == "x/p4100" {
			return "", errors.New("the oracle contradicts itself")
		}
		return "fine", nil
	})
	r := &Results{Mode: "simulate", Started: fixtureStarted, Scenarios: []ScenarioResult{{Name: "s", Status: Pass, Steps: []StepResult{st}}}}
	want := `step "s": cell x/a -> x/p4100 80/TCP: the oracle contradicts itself`
	if err := WriteJSON(io.Discard, r); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("WriteJSON = %v, want %q", err, want)
	}
	if _, err := json.Marshal(st); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("json.Marshal = %v, want %q", err, want)
	}
}
