package kind

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/netpolcheck/netpolcheck/clusters/kind/internal/run"
	"github.com/netpolcheck/netpolcheck/clusters/kube"
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

// The kube backend shares our hosts between its clusters, probes from them
// and skips those we cannot place.
var (
	_ kube.SharedExternalHosts = (*ExternalHostSet)(nil)
	_ kube.ExternalProber      = (*ExternalHostSet)(nil)
	_ kube.ExternalPlacer      = (*ExternalHostSet)(nil)
)

// ExternalHosts returns the cluster's external hosts as a set.
func (c *Cluster) ExternalHosts() *ExternalHostSet { return &ExternalHostSet{c: c} }

// Add starts the hosts, or adds a user to those already there, and returns
// once every one answers. It is all or nothing: on failure the hosts it
// added are removed again.
func (s *ExternalHostSet) Add(ctx context.Context, hosts []scenarios.ExternalHost) error {
	for i, h := range hosts {
		if err := s.c.AddExternalHost(ctx, h); err != nil {
			return errors.Join(err, s.Remove(context.WithoutCancel(ctx), hosts[:i]))
		}
	}
	return nil
}

// Identity is what the host answers probes with: the identity of its
// address, since one container stands for every host at that address.
func (s *ExternalHostSet) Identity(h scenarios.ExternalHost) string { return ExternalIdentity(h.IP) }

// Unplaceable says why a host's address cannot be emulated on this
// cluster (inside its pod, service or node network), or "".
func (s *ExternalHostSet) Unplaceable(h scenarios.ExternalHost) string {
	if _, err := s.c.checkExternalAddress(h.IP); err != nil {
		return err.Error()
	}
	return ""
}

// Remove ends one Add of each host; hosts that were not added are no error.
func (s *ExternalHostSet) Remove(ctx context.Context, hosts []scenarios.ExternalHost) error {
	var errs []error
	for _, h := range hosts {
		if _, added := s.host(h); !added {
			continue
		}
		if err := s.c.RemoveExternalHost(ctx, h); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ProbeFrom runs the jobs from inside the host's container (probe connect
// --batch) and returns a result per job, in the jobs' order. The host's
// routes give its connections its external address as source.
func (s *ExternalHostSet) ProbeFrom(ctx context.Context, host scenarios.ExternalHost, jobs []probes.Job) ([]probes.Result, error) {
	h, ok := s.host(host)
	if !ok {
		return nil, fmt.Errorf("probe from external host %s: not added", host.Name)
	}
	var in bytes.Buffer
	if err := probes.EncodeJobs(&in, jobs); err != nil {
		return nil, fmt.Errorf("probe from external host %s: %w", host.Name, err)
	}
	out, err := run.Command{Name: "docker", Stdin: &in,
		Args: []string{"exec", "-i", h.container, probeBinary, "connect", "--batch", "--concurrency", strconv.Itoa(externalConcurrency)},
	}.Output(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("probe from external host %s: %w", host.Name, err)
	}
	results, err := probes.DecodeResults(strings.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("probe from external host %s: %w", host.Name, err)
	}
	if len(results) != len(jobs) {
		return nil, fmt.Errorf("probe from external host %s: %d results for %d jobs", host.Name, len(results), len(jobs))
	}
	return results, nil
}

// ReproduceFrom is the docker command that re-runs one job from the host.
func (s *ExternalHostSet) ReproduceFrom(host scenarios.ExternalHost, job probes.Job) string {
	h, ok := s.host(host)
	if !ok {
		return ""
	}
	return strings.Join(append([]string{"docker", "exec", h.container, probeBinary}, probes.ConnectArgs(job)...), " ")
}

// host looks up the container at the host's address.
func (s *ExternalHostSet) host(h scenarios.ExternalHost) (*externalHost, bool) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	found, ok := s.c.external[addressKey(h.IP)]
	return found, ok
}
