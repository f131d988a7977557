// Package app is the netpolcheck command line: thin cobra commands that turn
// flags into options for the scenarios, runner, clusters and reports packages.
// Only Main decides exit codes: 0 when everything matches, 1 when an
// expectation failed, 2 for bad input (scenario, manifest, flag).
package app
