package reports

import (
	"reflect"
	"strings"
	"testing"
)

func TestJUnitCarriesFeatures(t *testing.T) {
	got := rootProperties(t, runFixture())
	for name, want := range map[string]string{
		"feature.ingress": "fail", "feature.ingress.steps": "1 failed",
		"feature.sctp": "skipped", "feature.egress": "not covered",
		"feature.sctp.skipped": sctpReason,
	} {
		if got[name] != want {
			t.Errorf("property %s = %q, want %q", name, got[name], want)
		}
	}
	for name := range rootProperties(t, simulateFixture()) {
		if strings.HasPrefix(name, "feature.") {
			t.Error("a simulation's JUnit carries a feature table; features are about what a cluster enforced")
		}
	}
}

func TestHTMLEmbedsFeatures(t *testing.T) {
	var data struct {
		Features []FeatureResult `json:"features"`
	}
	pageData(t, runFixture(), &data)
	if want := Features(runFixture()); !reflect.DeepEqual(data.Features, want) {
		t.Errorf("embedded features\n%+v\nwant\n%+v", data.Features, want)
	}
}

func TestIntegrationHTMLFeaturesInChromium(t *testing.T) {
	dom := chromiumDOM(t, runFixture())
	for _, want := range []string{
		`<caption>Features: a feature passes when every step exercising it passes</caption>`,
		`<tr title="a policy isolates pods for ingress"><td>ingress</td><td><span class="badge s-fail">fail</span></td><td>1 failed</td><td>deny-ingress/deny all ingress in x</td></tr>`,
		`<tr title="SCTP cells under a policy"><td>sctp</td><td><span class="badge s-skipped">skipped</span></td><td>1 skipped</td><td><span class="skip-reason">skipped: SCTP is not supported by this cluster</span></td></tr>`,
		`<tr title="a step deletes a policy"><td>delete</td><td><span class="badge s-none">not covered</span></td><td>no selected step exercises it</td><td></td></tr>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %s", want)
		}
	}
}
