package reports

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ANSI colours of the terminal report.
const (
	colorRed     = "\x1b[1;31m"
	colorGreen   = "\x1b[32m"
	colorYellow  = "\x1b[33m"
	colorMagenta = "\x1b[35m"
	colorReset   = "\x1b[0m"
)

// textWriter writes lines, keeping the first write error so that renderers can
// write freely and check once at the end.
type textWriter struct {
	w     io.Writer
	color bool
	err   error
}

// line writes indent, then the formatted text, then a newline.
func (t *textWriter) line(indent, format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, indent+format+"\n", args...)
}

// lines writes each of lines after indent.
func (t *textWriter) lines(indent string, lines []string) {
	for _, l := range lines {
		t.line(indent, "%s", l)
	}
}

// paint wraps s in an ANSI colour when colour is on.
func (t *textWriter) paint(color, s string) string {
	if !t.color || color == "" {
		return s
	}
	return color + s + colorReset
}

// styled is a table cell: its text and the colour it is painted with.
type styled struct {
	text  string
	color string
}

// table writes rows with columns padded to a common width. Padding is
// computed on the plain text and colour is added afterwards, so colour codes
// never break the alignment. Line breaks inside a cell become spaces, and
// trailing spaces are trimmed.
func (t *textWriter) table(indent string, rows [][]styled) {
	var widths []int
	for _, row := range rows {
		for i := range row {
			c := &row[i]
			c.text = strings.ReplaceAll(c.text, "\n", " ")
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		pending := 0
		for i, c := range row {
			if c.text == "" {
				pending += widths[i] + 2
				continue
			}
			b.WriteString(strings.Repeat(" ", pending))
			b.WriteString(t.paint(c.color, c.text))
			pending = widths[i] - utf8.RuneCountInString(c.text) + 2
		}
		t.line(indent, "%s", b.String())
	}
}
