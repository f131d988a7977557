// Package backends builds every backend one way, from one configuration:
// run and certify on the command line, the Ginkgo conformance suite and the
// tests all come here, so that the local cluster always gets its enforcer
// the same way and a kube cluster is always reached the same way. Each
// backend keeps its own defaults (clusters.Defaults); the runner applies
// them where an option is unset.
package backends
