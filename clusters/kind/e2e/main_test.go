package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/types"

	"github.com/netpolcheck/netpolcheck/clusters/kind"
	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"github.com/netpolcheck/netpolcheck/clusters/kind/nodeimage"
)

// testenv is the environment every feature runs in; nil while the suite is off.
var testenv types.Environment

// suite is the environment's own state; nil while the suite is off.
var suite *kindSuite

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

// runTests runs the package's tests, inside the environment when the gate
// is on. env.Run only logs what its Finish funcs return, so their failures
// are counted here, or a cluster left behind would pass unnoticed.
func runTests(m *testing.M) int {
	on, err := parseGate(os.Getenv(gateVariable))
	if err != nil {
		fmt.Fprintf(os.Stderr, "kind e2e: %v\n", err)
		return 1
	}
	if !on {
		return m.Run()
	}
	s, err := newSuite(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "kind e2e: %s=1, but %v\n", gateVariable, err)
		return 1
	}
	suite, testenv = s, s.environment()
	code := testenv.Run(m)
	if err := s.stepErrors(); err != nil {
		fmt.Fprintf(os.Stderr, "kind e2e: FAIL: %v\n", err)
		code = 1
	}
	return code
}

// begin starts a test of the environment: it skips while the suite is off,
// and a failure makes Finish export the cluster's logs before deleting it.
func begin(t *testing.T) {
	t.Helper()
	if suite == nil {
		t.Skip(skipReason)
	}
	t.Cleanup(func() {
		if t.Failed() {
			suite.failed.Store(true)
		}
	})
}

// kindSuite holds what the environment's steps share besides the context.
type kindSuite struct {
	nodeImage string
	// root is the module's source tree, which the images are built from.
	root string
	// logDir receives the cluster's logs when something failed.
	logDir string
	log    io.Writer

	// creation makes the cluster, as kind up does.
	creation *kind.Creation

	// failed is set by a failed test.
	failed atomic.Bool
	mu     sync.Mutex
	errs   []error
}

// newSuite checks that this machine can make a kind cluster. With the gate
// on, a machine that cannot is an error, never a skip: a CI job must not
// pass without having run the suite.
func newSuite(ctx context.Context) (*kindSuite, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the tests need root: external hosts are configured through their network namespace")
	}
	if _, err := run.Docker(ctx, nil, "info"); err != nil {
		return nil, fmt.Errorf("docker does not answer (%s): run hack/kind/ensure-docker.sh", firstLine(err.Error()))
	}
	img := nodeImage()
	if _, err := run.Docker(ctx, nil, "image", "inspect", img); err != nil {
		return nil, fmt.Errorf("node image %s is missing: run make kind-image, or set NETPOLCHECK_KIND_NODE_IMAGE", img)
	}
	// go test runs in the package's directory, three levels below the module.
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		return nil, fmt.Errorf("module root: %w", err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return nil, fmt.Errorf("module root: %w", err)
	}
	logDir := os.Getenv("NETPOLCHECK_E2E_KIND_LOG_DIR")
	if logDir == "" {
		logDir = filepath.Join(os.TempDir(), "netpolcheck-kind-e2e-logs")
	}
	s := &kindSuite{nodeImage: img, root: root, logDir: logDir, log: os.Stderr}
	if s.creation, err = kind.NewCreation(s.spec()); err != nil {
		return nil, err
	}
	return s, nil
}

// nodeImage is the image under test: NETPOLCHECK_KIND_NODE_IMAGE (make
// e2e-kind NODE_IMAGE=...) or the offline one.
func nodeImage() string {
	if img := os.Getenv("NETPOLCHECK_KIND_NODE_IMAGE"); img != "" {
		return img
	}
	return nodeimage.DefaultNodeImage
}

// step names an environment func for progress and errors, and records its
// failure for runTests.
func (s *kindSuite) step(name string, fn types.EnvFunc) types.EnvFunc {
	return func(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
		fmt.Fprintf(s.log, "=== kind e2e: %s\n", name)
		out, err := fn(ctx, cfg)
		if err != nil {
			err = fmt.Errorf("%s: %w", name, err)
			s.mu.Lock()
			s.errs = append(s.errs, err)
			s.mu.Unlock()
		}
		return out, err
	}
}

// stepErrors joins the failures of the environment's steps.
func (s *kindSuite) stepErrors() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// somethingFailed tells whether a test or a step failed.
func (s *kindSuite) somethingFailed() bool {
	return s.failed.Load() || s.stepErrors() != nil
}

// firstLine keeps the first line of a long error.
func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
