package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// WriteJSON writes r as results.json: indented, so that two runs diff line by line.
func WriteJSON(w io.Writer, r *Results) error {
	if r == nil {
		return errors.New("write results json: no results")
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write results json: %w", err)
	}
	if _, err := w.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("write results json: %w", err)
	}
	return nil
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
