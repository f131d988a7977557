package scenarios

import (
	"strconv"
	"strings"
)

// InputError is every bad-input error: the CLI maps it to exit code 2. It
// names where the fault is (file, line, field path) and what is wrong.
type InputError struct {
	File string
	// Line is 1-based; 0 when unknown (scenarios built in Go have no lines).
	Line int
	// Field is the path of the faulty field, e.g.
	// "steps[1].actions[0].apply.spec.ingress[0].from[0].ipBlock.cidr".
	Field string
	Msg   string

	// at is a finer path than Field used only to find the line, so that an
	// error about one label key points at that key while naming the labels field.
	at string
}

// Error renders the error as "file.yaml:12: field: message", leaving out what is unknown.
func (e *InputError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		b.WriteString(e.File + ":" + strconv.Itoa(e.Line) + ": ")
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		b.WriteString("line " + strconv.Itoa(e.Line) + ": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors collects several InputErrors, in the order they were found.
type Errors []*InputError

// Error renders one error per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each InputError.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// orNil turns an empty collection into a nil error, so that callers can
// return it directly without a typed-nil interface surprise.
func (es Errors) orNil() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// fieldErr makes an error about one field; Msg is formatted by the caller.
func fieldErr(field, msg string) *InputError {
	return &InputError{Field: field, Msg: msg}
}

// joinPath appends a child to a field path: "a" + "b" is "a.b", "a" + "[0]" is "a[0]".
func joinPath(parent, child string) string {
	switch {
	case parent == "":
		return child
	case child == "":
		return parent
	case strings.HasPrefix(child, "["):
		return parent + child
	default:
		return parent + "." + child
	}
}

// indexPath is "parent[i]".
func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// prefixed moves errors found in a part of a document under that part's path.
func prefixed(prefix string, errs Errors) Errors {
	for _, e := range errs {
		e.Field = joinPath(prefix, e.Field)
		if e.at != "" {
			e.at = joinPath(prefix, e.at)
		}
	}
	return errs
}

// asErrors turns any error from this package's internals into Errors,
// wrapping foreign errors so that every error leaving the package is an InputError.
func asErrors(err error) Errors {
	switch e := err.(type) {
	case nil:
		return nil
	case Errors:
		return e
	case *InputError:
		return Errors{e}
	default:
		return Errors{{Msg: err.Error()}}
	}
}
