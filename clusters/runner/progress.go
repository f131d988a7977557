package runner

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/netpolcheck/netpolcheck/reports"
)

// progress writes one line per step and per scenario, and a summary, to
// stderr-like writers; scenarios run in parallel, so writes are serialised.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	total int
	done  int
}

// maxNamesInSummary bounds the failures named in the summary line; the
// reports name them all.
const maxNamesInSummary = 20

func newProgress(w io.Writer, total int) *progress { return &progress{w: w, total: total} }

func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) stepDone(scenario string, index, steps int, s reports.StepResult) {
	var mismatches, errored int
	for _, c := range s.Cells {
		switch c.Verdict {
		case reports.Fail:
			mismatches++
		case reports.Error:
			errored++
		}
	}
	line := fmt.Sprintf("  %s: step %d/%d %q: %s, %d cells", scenario, index+1, steps, s.Name, s.Status, s.CellCount)
	if mismatches > 0 {
		line += fmt.Sprintf(", %d mismatches", mismatches)
	}
	if errored > 0 {
		line += fmt.Sprintf(", %d errors", errored)
	}
	if n := len(s.HandWritten); n > 0 {
		line += fmt.Sprintf(", %d cells disagree with the hand-written expectation", n)
	}
	if s.Converge > 0 {
		line += fmt.Sprintf(", converged in %.2fs (%d retries)", float64(s.Converge), s.Retries)
	}
	p.printf("%s\n", line)
}

func (p *progress) scenarioDone(s reports.ScenarioResult) {
	p.mu.Lock()
	p.done++
	done := p.done
	p.mu.Unlock()
	line := fmt.Sprintf("[%d/%d] %s: %s (%.2fs)", done, p.total, s.Name, s.Status, float64(s.Duration))
	if s.Error != "" {
		line += ": " + s.Error
	}
	p.printf("%s\n", line)
}

func (p *progress) summary(r *reports.Results) {
	counts := map[reports.Status]int{}
	var failed []string
	for _, s := range r.Scenarios {
		counts[s.Status]++
		if s.Status == reports.Fail || s.Status == reports.Error {
			failed = append(failed, s.Name)
		}
	}
	p.printf("%d scenarios in %.1fs: %d passed, %d failed, %d errored, %d skipped\n",
		len(r.Scenarios), float64(r.Duration), counts[reports.Pass], counts[reports.Fail], counts[reports.Error], counts[reports.Skipped])
	if len(failed) > maxNamesInSummary {
		failed = append(failed[:maxNamesInSummary], fmt.Sprintf("and %d more", len(failed)-maxNamesInSummary))
	}
	if len(failed) > 0 {
		p.printf("not passed: %s\n", strings.Join(failed, ", "))
	}
}
