//go:build tools

// The programs make upstream-e2e builds besides e2e.test, pinned so that
// go.sum covers them: agnhost, the image every upstream netpol pod runs, and
// the ginkgo CLI, which runs e2e.test in parallel processes.
package upstreame2e

import (
	_ "github.com/onsi/ginkgo/v2/ginkgo"
	_ "k8s.io/kubernetes/test/images/agnhost"
)
