//go:build tools

// Package tools pins the kube-network-policies release that kind up --cni
// kube-network-policies builds (clusters/kind/knp).
package tools

import (
	_ "sigs.k8s.io/kube-network-policies/cmd"
)
