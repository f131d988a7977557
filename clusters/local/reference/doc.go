// Package reference runs the reference enforcer on a local cluster: the
// same controller the enforcer DaemonSet runs, fed in-process instead of by
// an API server.
//
// Factory starts, per cluster, an in-memory clientset, a datapath pinned
// under the node's pin directory and attached in the node's network
// namespace, and a controller for the node. The local cluster hands the
// Enforcer every object of its world and then every change; Apply mirrors
// each into the clientset as the API server would hold it (pods with their
// node, address and named container ports), and the controller sees it
// through its informers like any other write.
//
// Sync writes the next sync marker (see package controller) and waits for
// the controller to report it in force with no local pod left pending, so
// the runner probes only once every change of a step is enforced. Writes
// come in bursts the in-memory clientset could not buffer (it holds 100
// undelivered events a watch), so Apply syncs by itself every 30 writes.
//
// Drops keeps the last records the datapath logged, and Drops(job) returns
// the ones matching a probe's source, destination, port and protocol since
// the last Sync, which is where a step's probing begins.
package reference
