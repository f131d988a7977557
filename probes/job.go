package probes

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Outcome is what a probe observed. It is an enum, not a bool: a probe that
// could not run is an Error, never Blocked.
type Outcome string

// The outcomes of a probe.
const (
	// Allowed: the connection was made and the server answered with the expected identity.
	Allowed Outcome = "allowed"
	// Blocked: the attempt timed out, or was reset or refused (as policy drops or rejects do).
	Blocked Outcome = "blocked"
	// Error: the probe could not be carried out (no route, bind failure, wrong identity, no agent).
	Error Outcome = "error"
	// Skipped: the cluster cannot carry this protocol; Detail says why.
	Skipped Outcome = "skipped"
)

// Job is one connection attempt: from a source to Host:Port over Protocol.
// From and To are the runner's names for the endpoints ("ns/pod" or an external
// host's name); Host is the address actually dialled.
type Job struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Host     string `json:"host"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol"`
	// Expect is the identity the server must answer with; empty accepts any answer.
	Expect string `json:"expect,omitempty"`
	// Timeout bounds the attempt; zero means DefaultTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Target says how a pod destination is dialled; empty means TargetPod.
	// The runner names it, the backend turns it into Host.
	Target Target `json:"target,omitempty"`
	// Resolver is, with TargetDNS, the runner's name of the cluster DNS pod
	// the source's resolver reaches (through its Service), as the oracle
	// judged it; the backend turns it into an address.
	Resolver string `json:"resolver,omitempty"`
	// Name, when set, is resolved from the source before anything is
	// dialled, through the source's own resolver (the first nameserver of
	// its /etc/resolv.conf), and the address it resolves to is dialled
	// instead of Host. Run does this, in the probe agent inside a pod.
	Name string `json:"name,omitempty"`
}

// Target is how a probe reaches a destination pod. Applications reach pods
// through Services far more often than by pod IP, and an enforcer that
// judges a packet before its Service address is translated gets exactly
// that traffic wrong, so a run can probe every pod-to-pod cell both ways.
type Target string

// The targets.
const (
	// TargetPod dials the pod's own IP.
	TargetPod Target = "pod"
	// TargetService dials the ClusterIP of a Service selecting the pod alone.
	TargetService Target = "service"
	// TargetDNS resolves that Service's name through the cluster's DNS, from
	// the source, then dials the address it resolved to: resolution is
	// traffic under policy too.
	TargetDNS Target = "dns"
)

// Targets are the targets in the order reports show them.
var Targets = []Target{TargetPod, TargetService, TargetDNS}

// OrPod returns t, or TargetPod when t is empty.
func (t Target) OrPod() Target {
	if t == "" {
		return TargetPod
	}
	return t
}

// CheckTargets checks that each target is known and given once.
func CheckTargets(targets []Target) error {
	for i, t := range targets {
		if _, err := ParseTarget(string(t)); err != nil {
			return err
		}
		if slices.Contains(targets[:i], t) {
			return fmt.Errorf("%q given twice", t)
		}
	}
	return nil
}

// ParseTargets reads target names, as --target takes them: each known,
// each once, at least one.
func ParseTargets(names []string) ([]Target, error) {
	targets := make([]Target, 0, len(names))
	for _, name := range names {
		targets = append(targets, Target(strings.TrimSpace(name)))
	}
	if len(targets) == 0 {
		return nil, errors.New("give at least one of pod, service, dns")
	}
	return targets, CheckTargets(targets)
}

// ParseTarget reads a target's name.
func ParseTarget(s string) (Target, error) {
	for _, t := range Targets {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("%q: not one of pod, service, dns", s)
}

// DefaultTimeout bounds a probe whose Job has no Timeout.
const DefaultTimeout = time.Second

// Block says how a Blocked probe was blocked.
type Block string

// The ways a connection is blocked. Policy implementations drop (nothing
// comes back) or reject (a TCP reset or an ICMP unreachable comes back); the
// API says only "blocked", so both pass an expected-blocked cell, and the
// reports show which, so that a CNI that rejects is told from one that drops.
const (
	// Dropped: no answer until the timeout.
	Dropped Block = "dropped"
	// Refused: a reset, a refusal or an ICMP port unreachable came back.
	Refused Block = "refused"
	// Unresolved: with TargetDNS, the name did not resolve: the DNS server
	// did not answer, as when policy blocks the query. Nothing was dialled.
	Unresolved Block = "unresolved"
)

// Result is a Job with what happened.
type Result struct {
	Job     Job     `json:"job"`
	Outcome Outcome `json:"outcome"`
	// Blocked says how a Blocked outcome came about; empty otherwise.
	Blocked Block         `json:"blocked,omitempty"`
	Detail  string        `json:"detail,omitempty"`
	Elapsed time.Duration `json:"elapsed"`
}
