// Package images writes container images without a container engine: files
// from the host become one layer, the image config says how to run them, and
// the result is a docker-archive tarball that `docker load`, `ctr images
// import` and kind's LoadImageArchive all accept. No registry and no `docker
// build` are involved, so it works on machines without either.
package images
