package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// probeBinary is where the probe image holds the probe.
const probeBinary = "/probe"

// externalConcurrency is how many probes a batch from an external host runs at once.
const externalConcurrency = 32

// ExternalHostSet drives a cluster's external hosts in the shape the kube
// backend consumes (its ExternalHosts and ExternalProber interfaces): hosts
// come and go by scenario, and cells from a host to a pod are probed from
// inside the host's container.
type ExternalHostSet struct {
	c *Cluster
}

// ExternalHosts returns the cluster's external hosts as a set.
func (c *Cluster) ExternalHosts() *ExternalHostSet { return &ExternalHostSet{c: c} }

// Add starts the hosts and returns once every one answers. On failure the
// hosts it started are removed again.
func (s *ExternalHostSet) Add(ctx context.Context, hosts []scenarios.ExternalHost) error {
	for i, h := range hosts {
		if err := s.c.AddExternalHost(ctx, h.Name, h.IP, h.Ports); err != nil {
			return errors.Join(err, s.Remove(context.Background(), hosts[:i]))
		}
	}
	return nil
}

// Unplaceable says why a host's address cannot be emulated on this
// cluster (inside its pod, service or node network), or "".
func (s *ExternalHostSet) Unplaceable(h scenarios.ExternalHost) string {
	if _, err := s.c.checkExternalAddress(h.IP); err != nil {
		return err.Error()
	}
	return ""
}

// Remove stops the hosts; hosts that were not added are no error.
func (s *ExternalHostSet) Remove(ctx context.Context, hosts []scenarios.ExternalHost) error {
	var errs []error
	for _, h := range hosts {
		s.c.mu.Lock()
		_, added := s.c.external[h.Name]
		s.c.mu.Unlock()
		if !added {
			continue
		}
		if err := s.c.RemoveExternalHost(ctx, h.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ProbeFrom runs the jobs from inside the named host's container (probe
// connect --batch) and returns a result per job, in the jobs' order. The
// host's routes give its connections its external address as source.
func (s *ExternalHostSet) ProbeFrom(ctx context.Context, host string, jobs []probes.Job) ([]probes.Result, error) {
	h, ok := s.host(host)
	if !ok {
		return nil, fmt.Errorf("probe from external host %s: not added", host)
	}
	var in bytes.Buffer
	if err := probes.EncodeJobs(&in, jobs); err != nil {
		return nil, fmt.Errorf("probe from external host %s: %w", host, err)
	}
	out, err := run.Command{Name: "docker", Stdin: &in,
		Args: []string{"exec", "-i", h.container, probeBinary, "connect", "--batch", "--concurrency", strconv.Itoa(externalConcurrency)},
	}.Output(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("probe from external host %s: %w", host, err)
	}
	results, err := probes.DecodeResults(strings.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("probe from external host %s: %w", host, err)
	}
	if len(results) != len(jobs) {
		return nil, fmt.Errorf("probe from external host %s: %d results for %d jobs", host, len(results), len(jobs))
	}
	return results, nil
}

// ReproduceFrom is the docker command that re-runs one job from the named host.
func (s *ExternalHostSet) ReproduceFrom(host string, job probes.Job) string {
	h, ok := s.host(host)
	if !ok {
		return ""
	}
	return strings.Join(append([]string{"docker", "exec", h.container, probeBinary}, probes.ConnectArgs(job)...), " ")
}

// host looks an added host up.
func (s *ExternalHostSet) host(name string) (externalHost, bool) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	h, ok := s.c.external[name]
	return h, ok
}
