// Command build-node-image builds the offline kind node image (see package
// nodeimage) and prints its tag. `make kind-image` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/netpolcheck/netpolcheck/clusters/kind/nodeimage"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build-node-image: %v\n", err)
		os.Exit(1)
	}
}

// run builds the image; the tag goes to stdout, progress to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("build-node-image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := nodeimage.Options{Log: stderr}
	fs.StringVar(&opts.ModulesDir, "modules", "hack/kind/modules", "directory of the wrapper modules")
	fs.StringVar(&opts.Cache.Dir, "cache", envOr("NETPOLCHECK_KIND_CACHE", nodeimage.DefaultCacheDir), "cache directory (env NETPOLCHECK_KIND_CACHE)")
	fs.StringVar(&opts.Image, "image", nodeimage.DefaultNodeImage, "tag of the node image to build")
	fs.StringVar(&opts.Mirror, "mirror", os.Getenv("DEBIAN_MIRROR"), "Debian mirror (env DEBIAN_MIRROR); empty reads the apt sources")
	quiet := fs.Bool("q", false, "print only the image tag")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *quiet {
		opts.Log = io.Discard
	}
	start := time.Now()
	res, err := nodeimage.Build(ctx, opts)
	if err != nil {
		return err
	}
	stages := make([]string, 0, len(res.Stages))
	for s := range res.Stages {
		stages = append(stages, s)
	}
	sort.Strings(stages)
	if !*quiet {
		for _, s := range stages {
			fmt.Fprintf(stderr, "  %-22s %s\n", s, res.Stages[s].Round(time.Millisecond))
		}
		fmt.Fprintf(stderr, "built %v in %s; binaries (kind, kubectl) in %s\n", res.Built, time.Since(start).Round(time.Millisecond), res.BinDir)
	}
	fmt.Fprintln(stdout, res.Image)
	return nil
}

// envOr reads an environment variable with a default.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
