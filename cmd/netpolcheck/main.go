// Command netpolcheck checks that a cluster enforces Kubernetes NetworkPolicy
// exactly as the API defines it.
package main

import (
	"os"

	"github.com/netpolcheck/netpolcheck/cmd/netpolcheck/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
}
