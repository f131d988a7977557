package testenv

import (
	"os"
	"testing"
)

// NeedRoot skips tb under -short and without root. what says what the test
// does that needs them ("loads eBPF programs"), so that the skip's reason
// says why.
func NeedRoot(tb testing.TB, what string) {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("%s; skipped under -short", what)
	}
	if os.Geteuid() != 0 {
		tb.Skipf("%s, which needs root", what)
	}
}
