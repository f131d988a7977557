// Package upstreame2e builds the upstream Kubernetes end-to-end suite's
// NetworkPolicy tests (test/e2e/network/netpol, v1.34.4) into an e2e.test
// binary of their own, as the upstream test/e2e/e2e_test.go does for every
// test package, so that make upstream-e2e can judge an enforcer with the
// suite Kubernetes' own CI uses, and time it beside netpolcheck. It is a
// module of its own: it replaces each Kubernetes staging module with its
// v0.34.4 release, which the project's module must not.
package upstreame2e

import (
	"flag"
	"os"
	"testing"

	"k8s.io/kubernetes/test/e2e"
	"k8s.io/kubernetes/test/e2e/framework"
	"k8s.io/kubernetes/test/e2e/framework/config"
	_ "k8s.io/kubernetes/test/e2e/network/netpol"
)

func TestMain(m *testing.M) {
	config.CopyFlags(config.Flags, flag.CommandLine)
	framework.RegisterCommonFlags(flag.CommandLine)
	framework.RegisterClusterFlags(flag.CommandLine)
	flag.Parse()
	framework.AfterReadingAllFlags(&framework.TestContext)
	os.Exit(m.Run())
}

func TestE2E(t *testing.T) { e2e.RunE2ETests(t) }
