package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSimulateBigWorld runs the netpolcheck binary, as a whole process,
// on plain manifests of 1,000 pods in 20 namespaces with 500 policies
// (1,000,000 cells), and reports wall time and peak memory (maxrss-MB). With
// NETPOLCHECK_BASELINE set to another netpolcheck binary, it runs that one
// too, so that docs/benchmarks.md can give ratios measured in one run.
func BenchmarkSimulateBigWorld(b *testing.B) {
	dir, compatDir := b.TempDir(), b.TempDir()
	if err := writeBigWorld(dir, 1000, 20, 500, false); err != nil {
		b.Fatal(err)
	}
	if err := writeBigWorld(compatDir, 1000, 20, 500, true); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "netpolcheck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	// The baseline (a netpolcheck from before) reads the compat form; the
	// current binary is timed on both, so the ratio compares like with like.
	type subject struct{ name, bin, dir string }
	subjects := []subject{{"current", bin, dir}, {"current-compat", bin, compatDir}}
	if base := os.Getenv("NETPOLCHECK_BASELINE"); base != "" {
		subjects = append(subjects, subject{"baseline-compat", base, compatDir})
	}
	for _, sub := range subjects {
		name, bin, dir := sub.name, sub.bin, sub.dir
		for _, mode := range []struct {
			name string
			args []string
		}{
			{"json-cells-all", []string{"simulate", "-q", "-f", dir, "-o", "json", "--cells", "all"}},
			{"text", []string{"simulate", "-q", "-f", dir}},
		} {
			b.Run(name+"/"+mode.name, func(b *testing.B) {
				var maxRSS int64
				for b.Loop() {
					cmd := exec.Command(bin, mode.args...)
					cmd.Stdout = io.Discard
					start := time.Now()
					if err := cmd.Run(); err != nil {
						b.Fatalf("%s %v: %v", bin, mode.args, err)
					}
					_ = time.Since(start)
					if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
						maxRSS = max(maxRSS, ru.Maxrss)
					}
				}
				b.ReportMetric(float64(maxRSS)/1024, "maxrss-MB")
			})
		}
	}
}
