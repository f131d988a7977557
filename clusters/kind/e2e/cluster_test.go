package e2e

import "testing"

// One Test per feature, so that -run picks features; all share the one
// cluster that the environment's Setup made.

func TestIntegrationKindNodes(t *testing.T) {
	begin(t)
	testenv.Test(t, nodesFeature())
}

func TestIntegrationKindPodNetwork(t *testing.T) {
	begin(t)
	testenv.Test(t, podNetworkFeature())
}

func TestIntegrationKindExternalHosts(t *testing.T) {
	begin(t)
	testenv.Test(t, externalHostsFeature())
}

func TestIntegrationKindEnforcer(t *testing.T) {
	begin(t)
	testenv.Test(t, enforcementFeature())
}
