package reports

import (
	"fmt"
	"strings"
)

// maxFeatureSteps is how many failing steps a feature line names.
const maxFeatureSteps = 3

// features writes the feature table of a run: which NetworkPolicy features
// the cluster enforced in every step that exercises them.
func (t *terminalReport) features(fs []FeatureResult) {
	t.line("", "")
	t.line("", "features (a feature passes when every step exercising it passes):")
	rows := make([][]styled, 0, len(fs))
	for _, f := range fs {
		label, color := featureLabel(f.Status)
		detail := "no selected step exercises it"
		if n := f.Steps.Total(); n > 0 {
			detail = plural(n, "step", "steps") + ": " + tallyWords(f.Steps)
		}
		if len(f.Failed) > 0 {
			detail += "; not passed: " + firstNames(f.Failed, maxFeatureSteps)
		}
		if len(f.SkipReasons) > 0 {
			detail += "; skipped: " + strings.Join(f.SkipReasons, "; ")
		}
		rows = append(rows, []styled{{label, color}, {f.Name, ""}, {detail, ""}})
	}
	t.table("  ", rows)
}

// featureLabel is the status column of a feature and its colour.
func featureLabel(s Status) (string, string) {
	switch s {
	case Pass:
		return "PASS", colorGreen
	case Fail:
		return "FAIL", colorRed
	case Skipped:
		return "SKIP", colorYellow
	case NotCovered:
		return "----", ""
	}
	return "ERROR", colorMagenta
}

// tallyWords names the non-zero counts, e.g. "3 passed, 1 failed".
func tallyWords(c Tally) string {
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{{c.Passed, "passed"}, {c.Failed, "failed"}, {c.Errored, "errored"}, {c.Skipped, "skipped"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
		}
	}
	return strings.Join(parts, ", ")
}

// firstNames joins up to n names and counts the rest.
func firstNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
