// Package scenarios owns the scenario language: the model (namespaces, pods,
// ports, external hosts), the steps that change it, the hand-written
// expectations, the loader for scenario files and plain Kubernetes manifests,
// their validation, and the State that follows a scenario step by step.
//
// It imports only k8s.io/api and apimachinery types, so that the truth oracle
// (scenarios/truth) and every cluster backend can share one vocabulary.
package scenarios
