// Package runner drives scenarios through a cluster: for each step it applies
// the changes, computes the truth table, probes every cell, re-probes the
// mismatches until the cluster converges or a bound passes, and records the
// outcome as reports.Results. With no cluster it only simulates: the oracle's
// verdicts, checked against each scenario's hand-written expectations.
//
// It never knows which backend it drives; everything goes through clusters.Cluster.
package runner
