package kind

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"

	"sigs.k8s.io/kind/pkg/cluster/nodes"
	"sigs.k8s.io/kind/pkg/exec"
)

// fakeNode is a kind node that records the commands run on it (with their
// standard input after "<<< ") and answers with canned output, or fails
// with canned standard error.
type fakeNode struct {
	name   string
	mu     sync.Mutex
	ran    []string
	stdout map[string]string
	fail   map[string]string
}

var _ nodes.Node = (*fakeNode)(nil)

func newFakeNode(name string) *fakeNode {
	return &fakeNode{name: name, stdout: map[string]string{}, fail: map[string]string{}}
}

func (n *fakeNode) String() string               { return n.name }
func (n *fakeNode) Role() (string, error)        { return "worker", nil }
func (n *fakeNode) IP() (string, string, error)  { return "", "", nil }
func (n *fakeNode) SerialLogs(w io.Writer) error { return nil }
func (n *fakeNode) Command(name string, args ...string) exec.Cmd {
	return &fakeCmd{node: n, line: strings.Join(append([]string{name}, args...), " ")}
}
func (n *fakeNode) CommandContext(_ context.Context, name string, args ...string) exec.Cmd {
	return n.Command(name, args...)
}

// commands returns what ran, in order.
func (n *fakeNode) commands() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.ran...)
}

// fakeCmd is one command on a fakeNode.
type fakeCmd struct {
	node   *fakeNode
	line   string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func (c *fakeCmd) Run() error {
	line := c.line
	if c.stdin != nil {
		in, err := io.ReadAll(c.stdin)
		if err != nil {
			return err
		}
		line += " <<< " + string(in)
	}
	c.node.mu.Lock()
	c.node.ran = append(c.node.ran, line)
	out := c.node.stdout[c.line]
	complaint, fails := c.node.fail[c.line]
	c.node.mu.Unlock()
	if fails {
		if c.stderr != nil {
			io.WriteString(c.stderr, complaint)
		}
		return errors.New("exit status 1")
	}
	if c.stdout != nil {
		_, err := io.WriteString(c.stdout, out)
		return err
	}
	return nil
}

func (c *fakeCmd) SetEnv(...string) exec.Cmd      { return c }
func (c *fakeCmd) SetStdin(r io.Reader) exec.Cmd  { c.stdin = r; return c }
func (c *fakeCmd) SetStdout(w io.Writer) exec.Cmd { c.stdout = w; return c }
func (c *fakeCmd) SetStderr(w io.Writer) exec.Cmd { c.stderr = w; return c }
