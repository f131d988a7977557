//go:build tools

// Package tools pins the coredns commands built for the offline node image.
package tools

import (
	_ "github.com/coredns/coredns"
)
