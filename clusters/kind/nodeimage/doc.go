// Package nodeimage builds a kindest/node equivalent for Kubernetes v1.34.4
// and kind v0.30.0 with no container registry: the Kubernetes binaries, etcd,
// CoreDNS, crictl, pause and kind come from Go modules (wrapper modules under
// hack/kind/modules pin each release), the userland from Debian through
// debootstrap, and the control-plane images are written without a container
// engine. Docker is needed only to assemble the base and node images.
//
// Every stage is cached by a content hash of its inputs (scripts, versions,
// go.sum files, the Go toolchain), in a directory outside the repository so
// that clean clones share it. A run with unchanged inputs rebuilds nothing.
package nodeimage
