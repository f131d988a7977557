// Package generate enumerates NetworkPolicy test cases over a fixed set of
// dimensions (direction, target, peer kind, namespace relation, port form,
// protocol, step kind) instead of relying on what someone thought to write.
// CNI bugs hide in combinations; a generator finds the combinations.
//
// Every case runs on one fixed model, so that all cases share the same probe
// pods: namespaces x, y and z, pods a, b and c in each, ports 80 and 81 on
// TCP, UDP and SCTP with names, and two external hosts, one inside and one
// outside the generated ipBlocks. Generated steps carry no hand-written
// expectation: the truth oracle (scenarios/truth) is the expectation.
//
// Combinations the API server would reject, or in which a dimension value
// means nothing (a protocol for a rule without ports, a namespace relabel
// without a namespace selector), are never emitted. A case whose truth tables repeat those of an
// earlier case with the same plain tags is pruned: it would cost a cluster
// run and could not catch anything the earlier case does not.
//
// Two profiles exist: quick, a greedy all-pairs cover of the dimension values
// for pull requests, and full, every valid combination under a documented cap.
// Both are deterministic: the same version yields the same cases, names and order.
package generate
