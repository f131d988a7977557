package datapath

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"testing"
)

// childEnv makes the test binary act as an enforcer process for
// TestIntegrationEnforcerRestart instead of running tests; its value is
// the JSON of an enforcerChild.
const childEnv = "NETPOLCHECK_DATAPATH_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runEnforcerChild(spec, os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// enforcerChild is what the child process enforces: the restart test's two
// pods, behind their host veths in the node namespace.
type enforcerChild struct {
	PinRoot  string `json:"pinRoot"`
	NetNS    string `json:"netns"`
	Instance string `json:"instance"`
	A        string `json:"a"`
	B        string `json:"b"`
	AIfindex int    `json:"aIfindex"`
	BIfindex int    `json:"bIfindex"`
}

// runEnforcerChild opens the instance (adopting what a killed predecessor
// pinned), attaches both devices, applies the restart policies, prints one
// line "ready adopted=N opened=G generation=G'" and waits for stdin to close,
// when it releases its handles as a daemon does on SIGTERM. The parent
// usually SIGKILLs it first.
func runEnforcerChild(spec string, stdin io.Reader, stdout io.Writer) int {
	var c enforcerChild
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Fprintf(os.Stderr, "child: parse %s: %v\n", childEnv, err)
		return 2
	}
	d, err := Open(c.Instance, WithPinRoot(c.PinRoot), WithNetNS(c.NetNS))
	if err != nil {
		fmt.Fprintf(os.Stderr, "child: %v\n", err)
		return 1
	}
	adopted, opened := len(d.Attached()), d.Generation()
	for _, ifindex := range []int{c.AIfindex, c.BIfindex} {
		if err := d.Attach(ifindex); err != nil {
			fmt.Fprintf(os.Stderr, "child: %v\n", err)
			return 1
		}
	}
	tables, err := compileRestartPolicies(c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "child: %v\n", err)
		return 1
	}
	gen, err := d.Apply(tables)
	if err != nil {
		fmt.Fprintf(os.Stderr, "child: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "ready adopted=%d opened=%d generation=%d\n", adopted, opened, gen)
	io.Copy(io.Discard, bufio.NewReader(stdin))
	if err := d.Release(); err != nil {
		fmt.Fprintf(os.Stderr, "child: %v\n", err)
		return 1
	}
	return 0
}
