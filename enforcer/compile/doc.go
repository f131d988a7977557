// Package compile turns Kubernetes objects (namespaces, pods, network
// policies) into the exact contents of the reference enforcer's maps.
//
// It is pure Go and deliberately shares nothing with the truth oracle: it
// works from k8s.io/api objects and apimachinery's selectors, so that a
// semantic slip in either shows up as a disagreement between the two.
//
// Each local endpoint gets, per direction, a rule set: a function from
// remote address to the ports it may use. A rule set is a list of address
// prefixes, each naming a port class; longest-prefix match picks the most
// specific prefix, so the class of a prefix already contains the ports of
// every enclosing prefix. Classes are lists of (protocol, port prefix).
// Endpoints with identical rule sets share one, and so do prefixes with
// identical classes, which keeps the tables small when thousands of pods are
// selected alike.
//
// Compile is one-shot. A Compiler gives the same tables and keeps what it
// compiled between calls, keyed by the content it came from, so that a
// controller recompiling the cluster on every change pays mostly for what
// changed.
package compile
