package kind

import (
	"fmt"
	"io"

	"sigs.k8s.io/kind/pkg/log"
)

// kindLogger passes kind's warnings, errors and first-level progress to a
// writer; kind's chattier levels stay out.
type kindLogger struct{ w io.Writer }

var _ log.Logger = kindLogger{}

func (l kindLogger) Warn(message string)               { fmt.Fprintln(l.w, message) }
func (l kindLogger) Warnf(format string, args ...any)  { fmt.Fprintf(l.w, format+"\n", args...) }
func (l kindLogger) Error(message string)              { fmt.Fprintln(l.w, message) }
func (l kindLogger) Errorf(format string, args ...any) { fmt.Fprintf(l.w, format+"\n", args...) }
func (l kindLogger) V(level log.Level) log.InfoLogger  { return kindInfoLogger{w: l.w, on: level <= 0} }

// kindInfoLogger is one verbosity level of kindLogger.
type kindInfoLogger struct {
	w  io.Writer
	on bool
}

func (l kindInfoLogger) Enabled() bool { return l.on }

func (l kindInfoLogger) Info(message string) {
	if l.on {
		fmt.Fprintln(l.w, message)
	}
}

func (l kindInfoLogger) Infof(format string, args ...any) {
	if l.on {
		fmt.Fprintf(l.w, format+"\n", args...)
	}
}
