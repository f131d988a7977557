package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestJUnitCarriesFeatures(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, runFixture()); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range doc.Properties.Properties {
		got[p.Name] = p.Value
	}
	for name, want := range map[string]string{
		"feature.ingress": "fail", "feature.ingress.steps": "1 failed",
		"feature.sctp": "skipped", "feature.egress": "not covered",
	} {
		if got[name] != want {
			t.Errorf("property %s = %q, want %q", name, got[name], want)
		}
	}
	b.Reset()
	if err := WriteJUnit(&b, simulateFixture()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "feature.") {
		t.Error("a simulation's JUnit carries a feature table; features are about what a cluster enforced")
	}
}

func TestHTMLEmbedsFeatures(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, runFixture()); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="results">(.*?)</script>`).FindStringSubmatch(b.String())
	var data struct {
		Features []FeatureResult `json:"features"`
	}
	if m == nil || json.Unmarshal([]byte(m[1]), &data) != nil {
		t.Fatal("the page has no parseable results element")
	}
	if want := Features(runFixture()); !reflect.DeepEqual(data.Features, want) {
		t.Errorf("embedded features\n%+v\nwant\n%+v", data.Features, want)
	}
}

func TestIntegrationHTMLFeaturesInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: starts headless Chromium (-short)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping: %s is not installed (apt-get install chromium): %v", chromiumPath, err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, runFixture()); err != nil {
		t.Fatal(err)
	}
	dom, console := renderInChromium(t, b.String())
	if len(console) > 0 {
		t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
	}
	for _, want := range []string{
		`<caption>Features: a feature passes when every step exercising it passes</caption>`,
		`<tr title="a policy isolates pods for ingress"><td>ingress</td><td><span class="badge s-fail">fail</span></td><td>1 failed</td><td>deny-ingress/deny all ingress in x</td></tr>`,
		`<tr title="SCTP cells under a policy"><td>sctp</td><td><span class="badge s-skipped">skipped</span></td><td>1 skipped</td><td></td></tr>`,
		`<tr title="a step deletes a policy"><td>delete</td><td><span class="badge s-none">not covered</span></td><td>no selected step exercises it</td><td></td></tr>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %s", want)
		}
	}
}
