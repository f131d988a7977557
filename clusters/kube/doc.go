// Package kube is the cluster backend for any Kubernetes cluster reached by
// kubeconfig, testing the NetworkPolicy enforcement of the cluster's own CNI.
// It deploys nothing but probe pods (and, with TargetService, a ClusterIP
// Service per pod). The kind backend reuses it, adding cluster lifecycle and
// external hosts.
//
// # Namespaces
//
// A run (a Backend) has an ID, six random hex characters unless
// Options.RunID. Each scenario's cluster n maps the scenario namespace x to
// the real namespace npc-<run>-<n>-x (names too long for 63 characters keep
// their start and get a hash), labelled RunLabel=<run>. The mapping is a pure
// function of the name, so a policy can name a namespace a later step
// creates. Scenario labels are applied as given, except that the API server
// sets kubernetes.io/metadata.name to the real name; policies are therefore
// rewritten: every namespaceSelector term on that label (matchLabels, and
// In/NotIn expressions) names the real namespaces. Every identity reported
// back ("ns/pod", probe results, addresses) uses the scenario's names, and
// labels under netpolcheck.io/ are refused in scenarios.
//
// Nothing without RunLabel is ever changed or deleted. Writes to namespaces
// read them first and check the label and the UID the run created, and
// deletes carry that UID as a precondition.
//
// # Probe pods
//
// One pod per model pod runs "/probe serve --identity ns/pod --ports ..." from
// Options.ProbeImage, declaring every port as a named containerPort so named
// ports resolve. It runs as uid 65534 with runAsNonRoot, no capabilities,
// no privilege escalation, a read-only root filesystem and the RuntimeDefault
// seccomp profile, and binds low ports through the safe sysctl
// net.ipv4.ip_unprivileged_port_start=0: it passes the restricted Pod
// Security Standard. Readiness is an exec probe over loopback, since a
// kubelet probe over the network could be blocked by the policies under
// test. Setup waits for readiness and, at Options.ReadyTimeout or as soon as
// a pod cannot start, fails naming each pod with its phase, conditions,
// container states and latest events.
//
// # Probes
//
// The control channel is never the pod network: Probe execs into each source
// pod once per call, "/probe connect --batch" with the source's whole batch
// as JSON on stdin and the results as JSON on stdout, sources concurrently
// (Options.ExecConcurrency). Backend.ExecCalls counts the execs. Probes dial
// pod IPs, or with TargetService the pod's own ClusterIP Service, as
// upstream's e2e tests do.
//
// # SCTP
//
// SCTP depends on the nodes' kernels and the CNI, and a pod serving SCTP on
// a node without it cannot start. Options.SCTP is therefore off by default:
// SCTP cells are skipped with the reason "not requested (--sctp)" and SCTP
// ports are declared but not served. SCTPOn probes them; SCTPAuto first
// sends one SCTP probe between two probe pods and probes SCTP only if it
// was allowed, otherwise skipping with what the check saw.
//
// # External hosts
//
// ipBlock peers name literal addresses, so an external host only tests the
// oracle's rules at the scenario's own address. An ExternalHosts provider
// (the kind backend) starts each scenario's hosts at their addresses, one
// live cluster per address at a time. Without one, StaticHosts
// (--external-host NAME=IP) are probe servers that stand in for the scenario
// hosts at the same address; cells to other hosts, and cells from external
// hosts (which need an ExternalProber), come back Skipped with the reason.
// With neither, Capabilities says there are no external hosts.
//
// # Cleanup
//
// Teardown deletes the cluster's namespaces and waits until they are gone,
// bounded by Options.DeleteTimeout. While a run lasts it renews
// ExpiresAnnotation on its namespaces every Options.Heartbeat; Clean deletes
// the namespaces whose expiry has passed, or with all every namespace
// carrying RunLabel.
package kube
