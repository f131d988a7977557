package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// WriteJSON writes r as results.json: indented, so that two runs diff line
// by line, with one cell per line. It streams: a run of a million cells is
// written cell by cell, never rendered whole in memory first.
func WriteJSON(w io.Writer, r *Results) error {
	if r == nil {
		return errors.New("write results json: no results")
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := writeResults(bw, r); err != nil {
		return fmt.Errorf("write results json: %w", err)
	}
	bw.WriteByte('\n')
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write results json: %w", err)
	}
	return nil
}

// writeResults renders each level with encoding/json, its list of children
// left empty, and writes the children in the empty list's place one by one.
func writeResults(w *bufio.Writer, r *Results) error {
	if len(r.Scenarios) == 0 {
		return writeIndented(w, r, "")
	}
	shell := *r
	shell.Scenarios = []ScenarioResult{}
	return splice(w, &shell, "", `"scenarios": []`, len(r.Scenarios), func(i int, indent string) error {
		sc := r.Scenarios[i]
		steps := sc.Steps
		if len(steps) == 0 {
			return writeIndented(w, &sc, indent)
		}
		sc.Steps = []StepResult{}
		return splice(w, &sc, indent, `"steps": []`, len(steps), func(j int, indent string) error {
			st := steps[j]
			cells := st.Cells
			if len(cells) == 0 {
				return writeIndented(w, &st, indent)
			}
			st.Cells = []Cell{}
			// One encoder and buffer for every cell: a million cells make no
			// million buffers. Explanations are computed on another goroutine,
			// a chunk ahead of the encoding.
			var buf bytes.Buffer
			var scratch Cell
			enc := json.NewEncoder(&buf)
			stop := make(chan struct{})
			defer close(stop)
			texts := explainAhead(&st, cells, stop)
			var chunk explainedChunk
			return splice(w, &st, indent, `"cells": []`, len(cells), func(k int, _ string) error {
				c := &cells[k]
				if texts != nil {
					if k%explainChunk == 0 {
						chunk = <-texts
						if chunk.err != nil {
							return chunk.err
						}
					}
					if c.Explanation == "" {
						scratch = *c
						scratch.Explanation = chunk.texts[k%explainChunk]
						c = &scratch
					}
				}
				buf.Reset()
				if err := enc.Encode(c); err != nil {
					return err
				}
				_, err := w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
				return err
			})
		})
	})
}

// splice writes v indented at indent, with the n items that item writes in
// place of the empty list marked by key, one per line.
func splice(w *bufio.Writer, v any, indent, key string, n int, item func(i int, indent string) error) error {
	data, err := json.MarshalIndent(v, indent, "  ")
	if err != nil {
		return err
	}
	at := bytes.Index(data, []byte(key))
	if at < 0 {
		return fmt.Errorf("render %T: no %s to fill", v, key)
	}
	open := at + len(key) - 1 // the "]" of "[]"
	lineStart := bytes.LastIndexByte(data[:at], '\n') + 1
	inner := string(data[lineStart:at]) + "  "
	if _, err := w.Write(data[:open]); err != nil {
		return err
	}
	for i := range n {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n" + inner)
		if err := item(i, inner); err != nil {
			return err
		}
	}
	w.WriteString("\n" + inner[:len(inner)-2])
	_, err = w.Write(data[open:])
	return err
}

func writeIndented(w *bufio.Writer, v any, indent string) error {
	data, err := json.MarshalIndent(v, indent, "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// ReadResults reads a results.json written by a run, so that its reports can be
// rendered again. A syntax error names its line and column; a file with
// values that no run writes is rejected (see Results.Validate).
func ReadResults(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// The *PathError already names the file.
		return nil, fmt.Errorf("read results: %w", err)
	}
	r, err := decodeResults(data)
	if err != nil {
		return nil, fmt.Errorf("read results %s: %w", path, err)
	}
	return r, nil
}

// decodeResults parses and validates the content of a results file.
func decodeResults(data []byte) (*Results, error) {
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, positioned(data, err)
	}
	r.upgrade()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// positioned adds the line and column of the offending byte to a JSON error
// that knows its offset, because an offset alone is useless in an editor.
func positioned(data []byte, err error) error {
	var offset int64
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		offset = syntaxErr.Offset
	case errors.As(err, &typeErr):
		offset = typeErr.Offset
	default:
		return err
	}
	// encoding/json counts the bytes it read, the offending one included.
	line, column := lineColumn(data, offset-1)
	return fmt.Errorf("line %d, column %d: %w", line, column, err)
}

// lineColumn is the 1-based line and column of the byte at offset.
func lineColumn(data []byte, offset int64) (line, column int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = 1 + bytes.Count(before, []byte("\n"))
	column = len(before) - bytes.LastIndexByte(before, '\n')
	return line, column
}

// explainChunk is how many explanations explainAhead hands over at once.
const explainChunk = 4096

// explainedChunk is explainChunk explanations, or why one failed.
type explainedChunk struct {
	texts []string
	err   error
}

// explainAhead computes the explanations of a step's cells in order on a
// goroutine of its own, chunk by chunk, so that on a machine with two cores
// explaining and encoding overlap. It returns nil when the step computes no
// explanations. The reader takes chunks until one carries an error; cells
// that carry their own explanation get "" in theirs. Closing stop ends the
// goroutine early.
func explainAhead(st *StepResult, cells []Cell, stop <-chan struct{}) <-chan explainedChunk {
	if st.explain == nil {
		return nil
	}
	out := make(chan explainedChunk, 2)
	go func() {
		defer close(out)
		for start := 0; start < len(cells); start += explainChunk {
			chunk := explainedChunk{texts: make([]string, min(explainChunk, len(cells)-start))}
			for i := range chunk.texts {
				if c := &cells[start+i]; c.Explanation == "" {
					if chunk.texts[i], chunk.err = st.explainCell(c); chunk.err != nil {
						break
					}
				}
			}
			select {
			case out <- chunk:
			case <-stop:
				return
			}
			if chunk.err != nil {
				return
			}
		}
	}()
	return out
}

// upgrade reads results written before cells were typed: a simulated cell
// then carried the oracle's outcome as its verdict, where it now carries it
// as its expected outcome and has no verdict (docs/results.md).
func (r *Results) upgrade() {
	if r.Mode != modeSimulate {
		return
	}
	for _, sc := range r.Scenarios {
		for _, st := range sc.Steps {
			for i, c := range st.Cells {
				if c.Expected == "" && c.Observed == "" {
					st.Cells[i].Expected, st.Cells[i].Verdict = Outcome(c.Verdict), ""
				}
			}
		}
	}
}
