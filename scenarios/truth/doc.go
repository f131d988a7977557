// Package truth is the oracle: it computes what the NetworkPolicy v1 API
// means for every cell (source, destination, port, protocol) of a
// scenarios.World, in pure Go and without a cluster.
//
// Compute fills a whole TruthTable at once with bitset algebra: label
// selectors are answered from inverted label indexes, every rule becomes a
// set of endpoints and a set of targets, and verdict rows are filled with
// word operations. Explain answers one cell by walking the policies in the
// plainest possible way and names the rule that decided. The two share only
// the smallest rules (policyTypes defaults, the TCP default, ipBlock parsing),
// so a property test of one against the other catches mistakes in either.
//
// The oracle deliberately does its own label matching instead of using
// apimachinery's selectors: the reference enforcer's compiler uses those, and
// two independent implementations of the semantics catch each other's bugs.
//
// Inputs the API server would reject never panic. They get one defined meaning
// that Compute and Explain share: an invalid label selector (In or NotIn
// without values, Exists or DoesNotExist with values, an unknown operator)
// selects nothing; a peer that mixes ipBlock with a selector, or sets nothing,
// matches nothing; an ipBlock whose cidr or any except entry does not parse
// matches nothing; a port range whose endPort is below its port matches
// nothing; endPort is ignored when port is absent or named; a named port
// matches only a destination pod port of that exact name and protocol.
package truth
