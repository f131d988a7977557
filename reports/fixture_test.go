package reports

import (
	"time"
)

// The fixtures every report test renders: a run with each status, a mismatch,
// an errored cell, a skipped cell and a missing cell; and a simulation with a
// hand-written expectation the oracle contradicts.

var fixtureStarted = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

const denyPolicy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: x
spec:
  podSelector: {}
  policyTypes: [Ingress]
`

// runCell builds a run cell on 80/TCP.
func runCell(from, to, expected, observed, verdict string, tweaks ...func(*Cell)) Cell {
	c := Cell{From: from, To: to, Port: 80, Protocol: "TCP", Expected: Outcome(expected), Observed: Outcome(observed), Verdict: Status(verdict), Loopback: from == to}
	for _, tweak := range tweaks {
		tweak(&c)
	}
	return c
}

// simCell builds a simulate cell on 80/TCP: the oracle's expected outcome.
func simCell(from, to string, expected Outcome) Cell {
	return Cell{From: from, To: to, Port: 80, Protocol: "TCP", Expected: expected, Loopback: from == to}
}

func withExplanation(e string) func(*Cell) { return func(c *Cell) { c.Explanation = e } }
func withDetail(d string) func(*Cell)      { return func(c *Cell) { c.Detail = d } }
func withReproduce(r string) func(*Cell)   { return func(c *Cell) { c.Reproduce = r } }
func withDrops(d ...string) func(*Cell)    { return func(c *Cell) { c.Drops = d } }
func onSCTP(c *Cell)                       { c.Port, c.Protocol = 132, "SCTP" }

const sctpReason = "SCTP is not supported by this cluster"

// runFixture is a run with one scenario of each status.
func runFixture() *Results {
	return &Results{
		Mode: "run", Cluster: "local", Enforcer: "reference", Version: "v0.1.0",
		Started: fixtureStarted, Duration: 9.5,
		Scenarios: []ScenarioResult{
			{
				Name: "allow-all", Source: "upstream-e2e", Tags: []string{"basic"}, Status: Pass, Duration: 1.25,
				Steps: []StepResult{{
					Name: "no policies", Status: Pass, Ports: []string{"80/TCP"}, Endpoints: []string{"x/a", "x/b"},
					Cells: []Cell{
						runCell("x/a", "x/a", "allowed", "allowed", "pass"),
						runCell("x/a", "x/b", "allowed", "allowed", "pass"),
						runCell("x/b", "x/a", "allowed", "allowed", "pass"),
						runCell("x/b", "x/b", "allowed", "allowed", "pass"),
					},
				}},
			},
			{
				Name: "deny-ingress", Description: "A default deny in x blocks ingress from everywhere.",
				Source: "pitfall", Seed: "seed-03.md", File: "scenarios/deny.yaml",
				Tags: []string{"ingress", "pitfall"}, Status: Fail, Duration: 4.25,
				Steps: []StepResult{
					{
						Name: "baseline", Status: Pass, Ports: []string{"80/TCP"}, Endpoints: []string{"x/a", "x/b"},
						Cells: []Cell{runCell("x/b", "x/a", "allowed", "allowed", "pass")},
					},
					{
						Name: "deny all ingress in x", Status: Fail, Converge: 2.5, Retries: 3,
						Policies:  []string{denyPolicy},
						Features:  []string{"ingress"},
						Ports:     []string{"80/TCP", "132/SCTP"},
						Endpoints: []string{"x/a", "x/b", "y/a"},
						Skipped:   []string{sctpReason},
						Cells: []Cell{
							runCell("x/a", "x/a", "allowed", "allowed", "pass"),
							runCell("x/a", "x/b", "blocked", "blocked", "pass"),
							runCell("x/a", "y/a", "allowed", "error", "error",
								withDetail("dial 192.168.0.3:80: no route to host"),
								withReproduce("netpolcheck probe --from x/a --to y/a --port 80/TCP")),
							runCell("x/b", "x/a", "blocked", "allowed", "fail",
								withExplanation("x/a is isolated for ingress by x/deny-all; no rule allows x/b"),
								withReproduce("netpolcheck probe --from x/b --to x/a --port 80/TCP")),
							runCell("x/b", "x/b", "allowed", "allowed", "pass"),
							runCell("x/b", "y/a", "allowed", "allowed", "pass"),
							runCell("y/a", "x/a", "blocked", "blocked", "pass", withDrops("ingress x/a from 192.168.0.3:40000 to :80 denied")),
							runCell("y/a", "x/b", "blocked", "blocked", "pass"),
							runCell("x/a", "x/b", "allowed", "skipped", "skipped", onSCTP, withDetail(sctpReason)),
							runCell("x/b", "x/a", "blocked", "skipped", "skipped", onSCTP, withDetail(sctpReason)),
						},
					},
				},
			},
			{Name: "setup-fails", Source: "generated", Status: Error, Error: "setup: create namespace x: already exists", Duration: 0.5},
			{
				Name: "sctp-only", Tags: []string{"sctp"}, Status: Skipped,
				Steps: []StepResult{{Name: "sctp", Status: Skipped, Skipped: []string{sctpReason}}},
			},
		},
	}
}

// simulateFixture is a simulation where one hand-written expectation is wrong.
func simulateFixture() *Results {
	verdicts := func() []Cell {
		return []Cell{
			simCell("x/a", "x/a", "allowed"),
			simCell("x/a", "x/b", "allowed"),
			simCell("x/b", "x/a", "blocked"),
			simCell("x/b", "x/b", "allowed"),
		}
	}
	return &Results{
		Mode: "simulate", Version: "v0.1.0", Started: fixtureStarted, Duration: 0.05,
		Scenarios: []ScenarioResult{
			{
				Name: "allow-all", Status: Pass,
				Steps: []StepResult{{Name: "no policies", Status: Pass, Ports: []string{"80/TCP"}, Endpoints: []string{"x/a", "x/b"},
					Cells: []Cell{simCell("x/a", "x/a", "allowed"), simCell("x/a", "x/b", "allowed"), simCell("x/b", "x/a", "allowed"), simCell("x/b", "x/b", "allowed")}}},
			},
			{
				Name: "bad-expectation", Source: "generated", Status: Fail, Duration: 0.01,
				Steps: []StepResult{{
					Name: "deny x/b", Status: Fail, Policies: []string{denyPolicy}, Features: []string{"ingress"},
					Ports: []string{"80/TCP"}, Endpoints: []string{"x/a", "x/b"}, Cells: verdicts(),
					HandWritten: []HandWrittenMismatch{{
						From: "x/b", To: "x/a", Port: "80/TCP", HandWritten: "allowed", Oracle: "blocked",
						Explanation: "x/a is isolated for ingress by x/deny-all",
					}},
				}},
			},
		},
	}
}
