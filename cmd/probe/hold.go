package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/netpolcheck/netpolcheck/probes"
)

// holdLine is one line of hold's output: the result of the command with
// the same sequence number (0 for the first exchange).
type holdLine struct {
	Seq    int           `json:"seq"`
	Result probes.Result `json:"result"`
}

// runHold opens a TCP connection, exchanges once over it, and then takes
// commands on stdin, one per line, each with a sequence number:
//
//	exchange N   another exchange over the held connection
//	dial N       a new connection for the same job, as connect would make
//
// Commands run concurrently (exchanges one at a time), and each result is a
// JSON line {"seq":N,"result":{...}} on stdout. End of stdin closes the
// connection and exits 0.
func runHold(ctx context.Context, args []string, s streams) error {
	var job probes.Job
	var port int
	fs := newFlagSet("hold", s)
	fs.StringVar(&job.From, "from", "", "the name of the source, sent in each request")
	fs.StringVar(&job.Host, "to", "", "the IP address to connect to")
	fs.IntVar(&port, "port", 0, "the TCP port to connect to")
	fs.StringVar(&job.Expect, "expect", "", "the identity the server must answer with; empty accepts any")
	fs.DurationVar(&job.Timeout, "timeout", probes.DefaultTimeout, "how long to wait for each answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if job.Host == "" || port < 1 || port > 65535 {
		return usageErrorf("hold: give --to and a --port of 1-65535")
	}
	job.To, job.Port, job.Protocol = job.Host, int32(port), probes.TCP

	var out sync.Mutex
	enc := json.NewEncoder(s.out)
	emit := func(seq int, r probes.Result) {
		out.Lock()
		defer out.Unlock()
		_ = enc.Encode(holdLine{Seq: seq, Result: r})
	}
	held, first := probes.Hold(ctx, job)
	defer held.Close()
	emit(0, first)

	var wg sync.WaitGroup
	defer wg.Wait()
	lines := bufio.NewScanner(s.in)
	for lines.Scan() {
		verb, n, ok := strings.Cut(strings.TrimSpace(lines.Text()), " ")
		seq, err := strconv.Atoi(n)
		if !ok || err != nil || seq < 1 {
			return usageErrorf("hold: command %q is not \"exchange N\" or \"dial N\" with N ≥ 1", lines.Text())
		}
		switch verb {
		case "exchange":
			wg.Go(func() { emit(seq, held.Exchange(ctx)) })
		case "dial":
			wg.Go(func() { emit(seq, probes.Run(ctx, job)) })
		default:
			return usageErrorf("hold: unknown command %q", verb)
		}
	}
	if err := lines.Err(); err != nil {
		return fmt.Errorf("hold: read commands: %w", err)
	}
	return nil
}

// runWait does nothing until SIGTERM: the main process of a pod that only
// exists to be exec'd into, such as a host-network pod, which must not
// bind a port on its node.
func runWait(ctx context.Context, args []string, s streams) error {
	fs := newFlagSet("wait", s)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
