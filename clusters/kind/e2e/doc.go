// Package e2e holds the kind path's own end-to-end tests, written on
// sigs.k8s.io/e2e-framework. The package has no code of its own: its tests
// drive package kind as netpolcheck's commands do.
//
// One environment serves every feature: its Setup builds the probe and
// enforcer images (without docker build), creates a 3-node cluster named
// npc-suite with kind.Provider, loads the images, deploys the reference
// enforcer and waits until it is Ready on every node, then starts three
// probe pods, one per node. Features assert with gomega what the cluster
// must give the kube backend: the nodes and their pod ranges, pod-to-pod
// TCP and UDP across nodes with source addresses kept, external hosts, and
// the enforcer denying, counting and lifting a NetworkPolicy's drops
// across nodes. Finish deletes the cluster and checks that nothing of it is
// left. TestIntegrationKindFailure makes clusters of its own that fail on
// purpose.
//
// The tests create clusters, so they run only with NETPOLCHECK_E2E_KIND=1
// (make e2e-kind sets it); otherwise each one skips. With the variable set,
// a missing docker daemon or node image fails the run instead of skipping
// it, so that CI cannot pass without running them.
package e2e
