// Package behaviour measures, with probes of its own on a real cluster, the
// behaviours the NetworkPolicy API leaves to each implementation and that a
// run's cells cannot show:
//   - what happens to a connection established before a policy denies it,
//     for an ingress and for an egress deny;
//   - whether a pod isolated for ingress still answers the host network of
//     its own node (the kubelet's) and of another node (host-network pods);
//   - whether a denied connection gets through while the enforcer's pods
//     restart (fail-open), and for how long.
//
// The results are observations, never passes or failures: they differ
// between correct implementations, and users need to know which they have.
// The cells of a run give the rest (drop or refuse, hairpin, Services,
// propagation); reports.Behaviour puts both together.
package behaviour
