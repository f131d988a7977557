// Command netpolcheck checks that a cluster enforces Kubernetes NetworkPolicy
// exactly as the API defines it.
package main

import (
	"os"

	"github.com/netpolcheck/netpolcheck/cmd/netpolcheck/app"
	"github.com/netpolcheck/netpolcheck/cmd/netpolcheck/internal/crashexit"
)

func main() {
	// A crash (panic, out of memory) must not exit 2, the code of bad input.
	os.Exit(crashexit.Run(func() int { return app.Main(os.Args[1:], os.Stdout, os.Stderr) }))
}
