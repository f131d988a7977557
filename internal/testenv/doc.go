// Package testenv is the test kit of the packages whose tests need a
// kernel: the gate that skips them without root or under -short, named
// network namespaces, and a node namespace with pods wired to it as the ptp
// CNI plugin wires them (a veth each, a /32 route to the pod in the node,
// and a route in the pod to the pod range through a link-local gateway).
//
// Nothing here routes anywhere but between the namespaces a test makes,
// and every namespace is deleted when the test ends.
package testenv
