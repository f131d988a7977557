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
// ClusterNetworkPolicies are enforced by the same tables: for an endpoint
// that a cluster policy's rules reach, the Admin tier, NetworkPolicy and the
// Baseline tier are evaluated here, region by region of the address space,
// and the rule set holds the final verdict of every protocol and port, deny
// entries naming the rule that decided (flatten.go). The datapath's cost
// does not grow with tiers or priorities.
//
// Compile is one-shot. A Compiler gives the same tables and keeps what it
// compiled between calls, keyed by the content it came from, so that a
// controller recompiling the cluster on every change pays mostly for what
// changed.
package compile
