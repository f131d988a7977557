//go:build tools

// Package tools pins the kind commands built for the offline node image.
package tools

import (
	_ "sigs.k8s.io/kind"
)
