package local

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"testing"
)

// childEnv makes the test binary act as a run that sets up a cluster and
// waits to be killed, for TestIntegrationCleanAfterKill.
const childEnv = "NETPOLCHECK_LOCAL_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// runChild sets up a cluster, prints "run <id>", and waits for stdin to
// close; if it gets that far instead of being killed, it cleans up.
func runChild() int {
	ctx := context.Background()
	b, err := New(Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c, err := b.NewCluster(ctx, "child")
	if err == nil {
		_, err = c.Setup(ctx, testWorld([]string{"x"}, 2, 1))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = b.Close(ctx)
		return 1
	}
	fmt.Printf("run %s\n", b.RunID())
	_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	if err := b.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
