package main

import (
	"os"
	"testing"
)

// TestWriteBigWorld writes the benchmark's world to $NETPOLCHECK_BIGWORLD_DIR,
// for measuring by hand (docs/benchmarks.md); it does nothing otherwise.
func TestWriteBigWorld(t *testing.T) {
	dir := os.Getenv("NETPOLCHECK_BIGWORLD_DIR")
	if dir == "" {
		t.Skip("set NETPOLCHECK_BIGWORLD_DIR to write the benchmark world there")
	}
	if err := writeBigWorld(dir, 1000, 20, 500, os.Getenv("NETPOLCHECK_BIGWORLD_COMPAT") != ""); err != nil {
		t.Fatal(err)
	}
}
