// Package run runs the external programs the kind tooling drives (docker, go,
// debootstrap) and turns their failures into errors that carry the command
// line and the end of its output, so that callers can show why without
// running it again.
package run
