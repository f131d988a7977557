// Package crashexit keeps an internal failure from exiting like bad input.
//
// The Go runtime ends a process with exit code 2 on an unrecovered panic and
// on a fatal error such as running out of memory, and 2 is also what
// netpolcheck promises for bad input. A script can only trust that promise if
// the two never meet, and neither can be caught in the process itself (a
// panic on another goroutine, or a runtime throw, ends it at once). So Run
// executes the program in a child process whose runtime copies any crash
// report to a pipe (debug.SetCrashOutput); when anything arrives there, the
// parent exits with Internal instead of the child's code.
package crashexit
