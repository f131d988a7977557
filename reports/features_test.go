package reports

import (
	"reflect"
	"testing"
)

const (
	ingressOnly = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\nspec:\n  podSelector: {}\n"
	egressRules = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: x}
spec:
  podSelector: {}
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    ports:
    - {port: dns, protocol: UDP}
    - {port: 8000, endPort: 8080}
`
	egressChanged = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8}
`
)

func step(name string, status Status, policies []string, ports []string, cells ...Cell) StepResult {
	return StepResult{Name: name, Status: status, Policies: policies, Ports: ports, Endpoints: []string{"x/a", "x/b"}, Cells: cells}
}

func cellOn(protocol, verdict string) Cell {
	return Cell{From: "x/a", To: "x/b", Port: 53, Protocol: protocol, Verdict: verdict}
}

func TestFeatures(t *testing.T) {
	r := &Results{Mode: "run", Scenarios: []ScenarioResult{
		{Name: "s1", Steps: []StepResult{
			step("deny", Pass, []string{ingressOnly}, []string{"80/TCP", "53/UDP"}, cellOn("UDP", "pass"), cellOn("TCP", "pass")),
			step("relabel", Fail, []string{ingressOnly}, []string{"80/TCP", "53/UDP"}, cellOn("UDP", "pass"), cellOn("TCP", "fail")),
			step("add egress", Pass, []string{ingressOnly, egressRules}, []string{"80/TCP"}),
			step("update egress", Error, []string{ingressOnly, egressChanged}, []string{"80/TCP", "53/SCTP"}, cellOn("SCTP", "skipped"), cellOn("TCP", "error")),
			step("delete", Pass, []string{egressChanged}, []string{"80/TCP"}),
		}},
		{Name: "s2", Steps: []StepResult{
			// Cells left out of a passing step: its status stands for every protocol.
			{Name: "udp only", Status: Pass, Policies: []string{ingressOnly}, Ports: []string{"53/UDP"}, CellsOmitted: true},
		}},
		{Name: "s4", Steps: []StepResult{
			// Cells left out, counts kept: SCTP was never probed, so it did not pass.
			{Name: "sctp skipped", Status: Pass, Policies: []string{ingressOnly}, Ports: []string{"80/TCP", "80/SCTP"}, CellsOmitted: true,
				ProtocolCells: map[string]Tally{"TCP": {Passed: 4}, "SCTP": {Skipped: 2}}},
		}},
		{Name: "s3", Steps: []StepResult{
			// Not a policy: the runner's rendering error is ignored.
			step("broken", Pass, []string{"# x/p: cannot render"}, []string{"80/TCP"}),
		}},
	}}
	got := Features(r)
	want := []FeatureResult{
		{Name: "ingress", Status: Fail, Steps: Tally{Passed: 4, Failed: 1, Errored: 1}, Failed: []string{"s1/relabel", "s1/update egress"}},
		{Name: "egress", Status: Error, Steps: Tally{Passed: 2, Errored: 1}, Failed: []string{"s1/update egress"}},
		{Name: "ip-block", Status: Error, Steps: Tally{Passed: 2, Errored: 1}, Failed: []string{"s1/update egress"}},
		{Name: "except", Status: Pass, Steps: Tally{Passed: 1}},
		{Name: "named-port", Status: Pass, Steps: Tally{Passed: 1}},
		{Name: "end-port", Status: Pass, Steps: Tally{Passed: 1}},
		// The relabel step failed on TCP only; its UDP cells passed.
		{Name: "udp", Status: Pass, Steps: Tally{Passed: 3}},
		{Name: "sctp", Status: Skipped, Steps: Tally{Skipped: 2}},
		{Name: "update", Status: Error, Steps: Tally{Errored: 1}, Failed: []string{"s1/update egress"}},
		{Name: "delete", Status: Pass, Steps: Tally{Passed: 1}},
		{Name: "relabel", Status: Fail, Steps: Tally{Failed: 1}, Failed: []string{"s1/relabel"}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d features, want %d", len(got), len(want))
	}
	for i := range want {
		got[i].Description = ""
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("feature %s = %+v\nwant %+v", want[i].Name, got[i], want[i])
		}
	}
}

func TestFeaturesNotCovered(t *testing.T) {
	for _, r := range []*Results{nil, {Mode: "run"}, simulateFixture()} {
		for _, f := range Features(r) {
			if r == nil || r.Mode == "run" {
				if f.Status != NotCovered || f.Steps.Total() != 0 {
					t.Errorf("feature %s of an empty run = %+v, want not covered", f.Name, f)
				}
			}
			if f.Description == "" {
				t.Errorf("feature %s has no description", f.Name)
			}
		}
	}
}

func TestPolicyFactsDefaultsPolicyTypes(t *testing.T) {
	tests := []struct {
		text            string
		ingress, egress bool
	}{
		{ingressOnly, true, false},
		{egressRules, true, true}, // no policyTypes and egress rules: both, as the API server defaults
		{egressChanged, false, true},
	}
	for _, tt := range tests {
		f := parsePolicyFacts(tt.text)
		if f == nil || f.ingress != tt.ingress || f.egress != tt.egress {
			t.Errorf("parsePolicyFacts(%q) = %+v, want ingress %v egress %v", tt.text, f, tt.ingress, tt.egress)
		}
	}
	if f := parsePolicyFacts("not: [yaml"); f != nil {
		t.Errorf("garbage parsed as %+v", f)
	}
}
