// Command netpolcheck checks that a cluster enforces Kubernetes NetworkPolicy
// exactly as the API defines it.
package main

import (
	"os"
	"runtime"
	"runtime/debug"

	"github.com/netpolcheck/netpolcheck/cmd/netpolcheck/app"
	"github.com/netpolcheck/netpolcheck/cmd/netpolcheck/internal/crashexit"
)

// gcPercent and memoryLimit replace the runtime's GOGC=100 unless the
// environment sets GOGC or GOMEMLIMIT. A local run makes a million short-lived
// probes whose garbage the collector would otherwise chase every few
// megabytes (docs/benchmarks.md); the limit brings the usual pace back
// before the heap grows large.
const (
	gcPercent   = 400
	memoryLimit = 2 << 30
)

// threadsPerCPU multiplies the runtime's GOMAXPROCS unless the environment
// sets it. On the local cluster a probe's connect or close carries its
// packets through both namespaces, the enforcer's programs and the peer's
// socket inside the one system call, so a goroutine holds its P for a long
// while in the kernel; with one P per core the cores idled a fifth of a
// full-profile run (docs/benchmarks.md).
const threadsPerCPU = 4

func main() {
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(gcPercent)
		debug.SetMemoryLimit(memoryLimit)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(threadsPerCPU * runtime.GOMAXPROCS(0))
	}
	// A crash (panic, out of memory) must not exit 2, the code of bad input.
	os.Exit(crashexit.Run(func() int { return app.Main(os.Args[1:], os.Stdout, os.Stderr) }))
}
