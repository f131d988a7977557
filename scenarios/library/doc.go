// Package library holds the built-in scenarios: YAML files embedded in the
// binary, so that `netpolcheck` runs a meaningful suite with no file at hand.
//
// The files are grouped by origin. seeds/ turns every NetworkPolicy example
// of the seed documents into a scenario (source: the document's file name);
// pitfalls/ plays each mistake those documents warn about, then its fix
// (source: pitfall); upstream/ follows the x/y/z × a/b/c cases of the
// Kubernetes e2e netpol suite (source: upstream-e2e). Every step carries a
// hand-written expectation that must agree with the truth oracle; the
// package's tests hold them to it.
package library
