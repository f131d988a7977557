package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"regexp"
	"strings"
	"testing"
)

// pageData decodes the JSON that WriteHTML embeds for r into v.
func pageData(t *testing.T, r *Results, v any) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="results">(.*?)</script>`).FindStringSubmatch(b.String())
	if m == nil || json.Unmarshal([]byte(m[1]), v) != nil {
		t.Fatal("the page has no parseable results element")
	}
}

// chromiumDOM renders r's page in headless Chromium, fails the test on any
// console line, and returns the DOM; it skips under -short or without Chromium.
func chromiumDOM(t *testing.T, r *Results) string {
	t.Helper()
	return chromiumDOMAt(t, r, "")
}

// chromiumDOMAt is chromiumDOM with "#fragment" after the page's address.
func chromiumDOMAt(t *testing.T, r *Results, fragment string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: starts headless Chromium (-short)")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping: %s is not installed (apt-get install chromium): %v", chromiumPath, err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	dom, console := renderInChromiumWithFragment(t, b.String(), fragment)
	if len(console) > 0 {
		t.Errorf("the page logged to the console:\n%s", strings.Join(console, "\n"))
	}
	return dom
}

// rootProperties are the properties of the root element of r's JUnit XML.
func rootProperties(t *testing.T, r *Results) map[string]string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	if doc.Properties != nil {
		for _, p := range doc.Properties.Properties {
			got[p.Name] = p.Value
		}
	}
	return got
}
