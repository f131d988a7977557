package probes

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// The batch protocol is how a runner drives cmd/probe over exec: jobs go in on
// stdin, as one JSON array or as JSON lines, and results come out on stdout as
// one JSON array, a result per line.

// DecodeJobs reads a batch of jobs: a JSON array, or one JSON object per line.
// Unknown fields are errors, so that a misspelt field does not silently probe
// with a default. Empty input is an empty batch.
func DecodeJobs(r io.Reader) ([]Job, error) {
	br := bufio.NewReader(r)
	first, err := peekNonSpace(br)
	if errors.Is(err, io.EOF) {
		return []Job{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read jobs: %w", err)
	}
	dec := json.NewDecoder(br)
	dec.DisallowUnknownFields()
	if first == '[' {
		var raws []json.RawMessage
		if err := dec.Decode(&raws); err != nil {
			return nil, fmt.Errorf("decode job array: %w", err)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return nil, errors.New("decode job array: data after the array")
		}
		jobs := make([]Job, len(raws))
		for i, raw := range raws {
			if jobs[i], err = decodeJob(raw); err != nil {
				return nil, fmt.Errorf("decode job %d: %w", i+1, err)
			}
		}
		return jobs, nil
	}
	jobs := []Job{}
	for n := 1; ; n++ {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return jobs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decode job %d: %w", n, err)
		}
		job, err := decodeJob(raw)
		if err != nil {
			return nil, fmt.Errorf("decode job %d: %w", n, err)
		}
		jobs = append(jobs, job)
	}
}

// decodeJob insists on an object: a stray "null" or number would otherwise
// decode to a zero job and come back as a puzzling bad-job result.
func decodeJob(raw json.RawMessage) (Job, error) {
	if raw[0] != '{' {
		return Job{}, fmt.Errorf("%s is not a JSON object", raw)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var job Job
	if err := dec.Decode(&job); err != nil {
		return Job{}, err
	}
	return job, nil
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
			return b, br.UnreadByte()
		}
	}
}

// EncodeJobs writes jobs as DecodeJobs reads them: a JSON array, a job per line.
func EncodeJobs(w io.Writer, jobs []Job) error {
	return encodeLines(w, jobs)
}

// EncodeResults writes results as a JSON array with a result per line, which
// keeps a batch readable in logs and diffable.
func EncodeResults(w io.Writer, results []Result) error {
	return encodeLines(w, results)
}

// DecodeResults reads what EncodeResults wrote.
func DecodeResults(r io.Reader) ([]Result, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var results []Result
	if err := dec.Decode(&results); err != nil {
		return nil, fmt.Errorf("decode results: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode results: data after the array")
	}
	if results == nil {
		results = []Result{}
	}
	return results, nil
}

func encodeLines[T any](w io.Writer, items []T) error {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, item := range items {
		line, err := json.Marshal(item)
		if err != nil {
			return fmt.Errorf("encode item %d: %w", i+1, err)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
		buf.Write(line)
	}
	if len(items) > 0 {
		buf.WriteByte('\n')
	}
	buf.WriteString("]\n")
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	return nil
}
