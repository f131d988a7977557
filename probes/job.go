package probes

import "time"

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
