package reports

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// hostileName would close the data element and run a script if the results
// were embedded without escaping.
const hostileName = `</script><script>window.hacked=1</script><img src=x onerror=alert(1)>`

func TestWriteHTMLEmbedsResultsSafely(t *testing.T) {
	r := runFixture()
	r.Scenarios[0].Name = hostileName
	r.Scenarios[1].Steps[1].Policies = append(r.Scenarios[1].Steps[1].Policies, "# <!-- </SCRIPT> & more\n")
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()

	m := regexp.MustCompile(`(?s)<script type="application/json" id="results">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the page has no results element")
	}
	var embedded Results
	if err := json.Unmarshal([]byte(m[1]), &embedded); err != nil {
		t.Fatalf("the embedded results do not parse: %v", err)
	}
	if !reflect.DeepEqual(&embedded, r) {
		t.Errorf("the embedded results differ from the rendered ones:\n got %+v\nwant %+v", embedded, *r)
	}
	for _, forbidden := range []string{"<script>window", "<img", "</SCRIPT>", "<!--"} {
		if strings.Contains(page, forbidden) {
			t.Errorf("the page contains %q outside escaped data", forbidden)
		}
	}
	if got := strings.Count(page, "</script>"); got != 2 {
		t.Errorf("the page has %d </script> tags, want 2 (data and code)", got)
	}
}

func TestHTMLAssetsCannotEndTheirElements(t *testing.T) {
	for name, asset := range map[string]string{"report.css": reportCSS, "report.js": reportJS} {
		lower := strings.ToLower(asset)
		for _, end := range []string{"</style", "</script", "<!--"} {
			if strings.Contains(lower, end) {
				t.Errorf("%s contains %q, which would end or confuse its inline element", name, end)
			}
		}
	}
}

func TestWriteHTMLIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, simulateFixture()); err != nil {
		t.Fatal(err)
	}
	// Any src or href other than the empty data: icon would fetch something.
	refs := regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(b.String(), -1)
	if len(refs) != 1 || refs[0][1] != "data:," {
		t.Errorf("the page references %v, want only the data: icon", refs)
	}
	for _, ext := range []string{"http://", "https://", "@import", "url("} {
		if strings.Contains(b.String(), ext) {
			t.Errorf("the page contains %q: it must not load anything", ext)
		}
	}
}

func TestWriteHTMLRejectsNil(t *testing.T) {
	err := WriteHTML(&bytes.Buffer{}, nil)
	if err == nil || err.Error() != "write html report: no results" {
		t.Errorf("WriteHTML(nil) = %v, want write html report: no results", err)
	}
}
