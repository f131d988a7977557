package runner

import (
	"fmt"
	"strings"

	"github.com/netpolcheck/netpolcheck/reports"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// reproduceCommand re-runs a wrong cell's scenario on the same backend and
// explains the cell, for backends that cannot give a command probing the one
// cell by hand (the local cluster's namespaces are gone once the run ends).
func reproduceCommand(s *scenarios.Scenario, backend string, stepIndex int, c reports.Cell) string {
	sel := selection(s)
	focus := shellQuote("^" + regexpQuote(s.Name) + "$")
	target := ""
	if c.Target != "" {
		// The cell's own way of dialling, so the rerun probes it.
		target = " --target " + c.Target
	}
	return fmt.Sprintf("netpolcheck run --cluster %s%s%s --focus %s && netpolcheck explain%s --focus %s --step %d --from %s --to %s --port %d/%s",
		backend, sel, target, focus, sel, focus, stepIndex+1, shellQuote(c.From), shellQuote(c.To), c.Port, c.Protocol)
}

// selection gives the flags that load the scenario again: its file, the
// generated profile it comes from, or nothing for the built-in library.
func selection(s *scenarios.Scenario) string {
	switch {
	case s.Source == scenarios.SourceGenerated && s.File == "":
		return " --profile full"
	case s.File == "" || strings.HasPrefix(s.File, "library/"):
		return ""
	}
	return " -f " + shellQuote(s.File)
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
