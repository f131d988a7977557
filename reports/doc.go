// Package reports owns results.json and everything rendered from it: the
// terminal grids, JUnit XML and the self-contained HTML report.
//
// Every report is a pure function of one Results value, so that
// `netpolcheck report results.json` reproduces exactly what the run printed.
// Renderers accept whatever they are given and mark what they do not
// understand (a "?" glyph, an unknown status counted as errored) rather than
// fail, because a report is most needed when something upstream went wrong;
// ReadResults is the strict gate that rejects files netpolcheck did not write.
//
// The grids use the upstream Kubernetes e2e glyphs so that output can be
// compared with e2e logs: "." allowed, "X" blocked, and in a comparison grid
// "." match, "X" mismatch. Runs add "E" (the probe errored), "S" (skipped)
// and "?" (no cell for that pair).
//
// Runs also get a feature table (Features): for each NetworkPolicy feature,
// ingress to relabel, whether every step exercising it passed, read from the
// steps' policies, ports and cells, so that it needs nothing but the results.
// Runs of generated cases also get a dimension table (Dimensions): the cases
// grouped by their "name=value" tags, and the values every failing case
// shares, so that a report says "named ports on egress fail".
package reports
