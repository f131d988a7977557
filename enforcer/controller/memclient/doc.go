// Package memclient is an in-memory Kubernetes clientset for running the
// enforcer controller in-process, as the local cluster does: what a feeder
// writes through it, the controller's informers see.
//
// It is client-go's fake clientset over the plain object tracker. The field
// managed tracker of fake.NewClientset spends about 5 ms a write on
// server-side-apply bookkeeping nothing here uses; this one takes about 12
// µs. Two properties of the tracker shape how it must be used: it has no
// resource versions, so a write between an informer's list and its watch is
// lost (wait with WaitWatching before writing), and a watch holding 100
// undelivered events makes the next write panic (keep bursts short, or let
// the informers drain).
package memclient
