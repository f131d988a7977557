// Package reports owns results.json and everything rendered from it: the
// terminal grids, JUnit XML and the self-contained HTML report.
package reports
