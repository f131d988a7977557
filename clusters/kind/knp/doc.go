// Package knp builds kube-network-policies, the NetworkPolicy enforcer
// Kubernetes' own CI uses, so that kind up can certify a CNI nobody here
// wrote: the binary from its Go module at the release that
// hack/kind/modules/kube-network-policies pins (CGO_ENABLED=0, no docker
// build), the image wrapped around it as its own Dockerfile does (the
// program is the image's command, not its entrypoint, because the
// DaemonSet's args start with it), and the objects of the release's own
// install.yaml with only the image changed.
//
// kube-network-policies sends the first packet of each connection to
// userspace with nftables' queue expression. Kernels built without
// CONFIG_NFT_QUEUE refuse that expression: the enforcer then logs one
// error, programs nothing, stays Ready, and enforces nothing. Where the
// kernel lacks it (the caller probes the kernel; see ProbeScript), the
// build applies this project's adaptation (Adapt): the same queue verdict
// through the xtables NFQUEUE target, which nftables runs through nft_compat.
// It is built from a copy of the release's source with one file changed and
// one added; the module cache is never written.
package knp
