package reports

import (
	"reflect"
	"testing"
)

// Policies as the runner records them; what the feature table reads is the
// features the runner recorded beside them.
const (
	ingressOnly   = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\nspec:\n  podSelector: {}\n"
	egressRules   = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: out, namespace: x}\nspec: {podSelector: {}, egress: [{}]}\n"
	egressChanged = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: out, namespace: x}\nspec: {podSelector: {}, policyTypes: [Egress]}\n"
)

func step(name string, status Status, policies []string, features []string, ports []string, cells ...Cell) StepResult {
	return StepResult{Name: name, Status: status, Policies: policies, Features: features, Ports: ports, Endpoints: []string{"x/a", "x/b"}, Cells: cells}
}

func cellOn(protocol, verdict string) Cell {
	return Cell{From: "x/a", To: "x/b", Port: 53, Protocol: protocol, Verdict: Status(verdict)}
}

func TestFeatures(t *testing.T) {
	r := &Results{Mode: "run", Scenarios: []ScenarioResult{
		{Name: "s1", Steps: []StepResult{
			step("deny", Pass, []string{ingressOnly}, []string{"ingress"}, []string{"80/TCP", "53/UDP"}, cellOn("UDP", "pass"), cellOn("TCP", "pass")),
			step("relabel", Fail, []string{ingressOnly}, []string{"ingress", "relabel"}, []string{"80/TCP", "53/UDP"}, cellOn("UDP", "pass"), cellOn("TCP", "fail")),
			step("add egress", Pass, []string{ingressOnly, egressRules}, []string{"ingress", "egress", "ip-block", "except", "named-port", "end-port"}, []string{"80/TCP"}),
			step("update egress", Error, []string{ingressOnly, egressChanged}, []string{"ingress", "egress", "ip-block", "update"}, []string{"80/TCP", "53/SCTP"}, cellOn("SCTP", "skipped"), cellOn("TCP", "error")),
			step("delete", Pass, []string{egressChanged}, []string{"egress", "ip-block", "delete"}, []string{"80/TCP"}),
		}},
		{Name: "s2", Steps: []StepResult{
			// Cells left out of a passing step: its status stands for every protocol.
			{Name: "udp only", Status: Pass, Policies: []string{ingressOnly}, Features: []string{"ingress"}, Ports: []string{"53/UDP"}, CellsOmitted: true},
		}},
		{Name: "s4", Steps: []StepResult{
			// Cells left out, counts kept: SCTP was never probed, so it did not pass.
			{Name: "sctp skipped", Status: Pass, Policies: []string{ingressOnly}, Features: []string{"ingress"}, Ports: []string{"80/TCP", "80/SCTP"}, CellsOmitted: true,
				ProtocolCells: map[string]Tally{"TCP": {Passed: 4}, "SCTP": {Skipped: 2}}},
		}},
		{Name: "s3", Steps: []StepResult{
			// Not a policy: the runner's rendering error exercises nothing.
			step("broken", Pass, []string{"# x/p: cannot render"}, nil, []string{"80/TCP"}),
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
