//go:build tools

// Package tools pins the crictl commands built for the offline node image.
package tools

import (
	_ "sigs.k8s.io/cri-tools/cmd/crictl"
)
