package reports

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JUnit XML elements. The attributes are the common subset that GitHub,
// GitLab and Jenkins read: counts and time on suites, classname, name and time
// on cases, and one of failure, error or skipped per case.
type (
	junitSuites struct {
		XMLName  xml.Name `xml:"testsuites"`
		Name     string   `xml:"name,attr"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Skipped  int      `xml:"skipped,attr"`
		Time     string   `xml:"time,attr"`
		// Properties carry the feature table of runs, feature.<name> = status.
		Properties *junitProperties `xml:"properties,omitempty"`
		Suites     []junitSuite     `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string           `xml:"name,attr"`
		Tests      int              `xml:"tests,attr"`
		Failures   int              `xml:"failures,attr"`
		Errors     int              `xml:"errors,attr"`
		Skipped    int              `xml:"skipped,attr"`
		Time       string           `xml:"time,attr"`
		Timestamp  string           `xml:"timestamp,attr,omitempty"`
		Properties *junitProperties `xml:"properties,omitempty"`
		Cases      []junitCase      `xml:"testcase"`
	}
	junitProperties struct {
		Properties []junitProperty `xml:"property"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Classname string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure,omitempty"`
		Error     *junitProblem `xml:"error,omitempty"`
		Skipped   *junitSkipped `xml:"skipped,omitempty"`
		SystemOut *junitText    `xml:"system-out,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",cdata"`
	}
	// junitText is element content kept as CDATA, so that the line breaks of
	// cell accounts survive as line breaks rather than &#xA; in the file.
	junitText struct {
		Text string `xml:",cdata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

// WriteJUnit writes r as JUnit XML: a testsuite per scenario, a testcase per
// step. A scenario that errored or was skipped before any of its steps could
// say so gets one more testcase, "(scenario)", so that CI shows why. A run's
// feature and dimension tables go into properties of the root element.
func WriteJUnit(w io.Writer, r *Results) error {
	if r == nil {
		return errors.New("write junit: no results")
	}
	doc := junitSuites{Name: "netpolcheck", Time: junitTime(r.Duration)}
	if r.Mode == modeRun {
		props := &junitProperties{}
		if fs := Features(r); anyCovered(fs) {
			props.Properties = featureProperties(fs)
		}
		if table := Dimensions(r); table != nil {
			props.Properties = append(props.Properties, dimensionProperties(table)...)
		}
		if len(props.Properties) > 0 {
			doc.Properties = props
		}
	}
	for _, sc := range r.Scenarios {
		suite := scenarioSuite(r, sc)
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Skipped += suite.Skipped
		doc.Suites = append(doc.Suites, suite)
	}
	data, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header+string(data)+"\n"); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

// scenarioSuite is one scenario's testsuite; its counts come from its cases so
// that they always agree.
func scenarioSuite(r *Results, sc ScenarioResult) junitSuite {
	suite := junitSuite{Name: sc.Name, Time: junitTime(sc.Duration)}
	if !r.Started.IsZero() {
		// The JUnit schema's timestamp has no zone; UTC keeps it unambiguous.
		suite.Timestamp = r.Started.UTC().Format("2006-01-02T15:04:05")
	}
	var properties []junitProperty
	for _, p := range [][2]string{{"source", sc.Source}, {"seed", sc.Seed}, {"file", sc.File}, {"description", sc.Description}} {
		if p[1] != "" {
			properties = append(properties, junitProperty{Name: p[0], Value: p[1]})
		}
	}
	for _, tag := range sc.Tags {
		properties = append(properties, junitProperty{Name: "tag", Value: tag})
	}
	blocks := map[How]int{}
	for _, st := range sc.Steps {
		for k, n := range st.Blocks {
			blocks[k] += n
		}
	}
	if len(blocks) > 0 {
		// How the blocked cells were blocked: a CNI that rejects reads
		// differently from one that drops.
		properties = append(properties,
			junitProperty{Name: "blocked.dropped", Value: strconv.Itoa(blocks[BlockedDropped])},
			junitProperty{Name: "blocked.refused", Value: strconv.Itoa(blocks[BlockedRefused])})
		if n := blocks[BlockedUnresolved]; n > 0 {
			properties = append(properties, junitProperty{Name: "blocked.unresolved", Value: strconv.Itoa(n)})
		}
	}
	if len(properties) > 0 {
		suite.Properties = &junitProperties{Properties: properties}
	}
	for _, st := range sc.Steps {
		suite.Cases = append(suite.Cases, stepCase(r.Mode, sc.Name, st))
	}
	if c, ok := scenarioCase(sc); ok {
		suite.Cases = append(suite.Cases, c)
	}
	for _, c := range suite.Cases {
		suite.Tests++
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	return suite
}

// scenarioCase is the extra testcase of a scenario whose error or skip no step
// carries, e.g. a setup failure before any step ran.
func scenarioCase(sc ScenarioResult) (junitCase, bool) {
	for _, st := range sc.Steps {
		if st.Status == sc.Status {
			return junitCase{}, false
		}
	}
	c := junitCase{Classname: sc.Name, Name: "(scenario)", Time: junitTime(0)}
	switch sc.Status {
	case Pass:
		return junitCase{}, false
	case Skipped:
		c.Skipped = &junitSkipped{Message: orUnknown(sc.Error)}
	case Fail:
		c.Failure = &junitProblem{Message: firstNonEmpty(sc.Error, "the scenario failed"), Type: "scenario", Text: xmlText(sc.Error)}
	default:
		c.Error = &junitProblem{Message: firstNonEmpty(sc.Error, fmt.Sprintf("status %q", sc.Status)), Type: "scenario", Text: xmlText(sc.Error)}
	}
	return c, true
}

// firstNonEmpty returns the first of values that is not empty.
func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// xmlText replaces what XML 1.0 cannot carry (control characters, invalid
// UTF-8) with U+FFFD. encoding/xml does so for attributes and character data,
// but writes CDATA as given, which would make the file unreadable.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r >= 0xD800 && r < 0xE000, r == 0xFFFE, r == 0xFFFF, r == utf8.RuneError:
			return utf8.RuneError
		}
		return r
	}, s)
}

// junitTime renders seconds the way JUnit readers parse them.
func junitTime(s Seconds) string { return fmt.Sprintf("%.3f", float64(s)) }

// featureProperties are feature.<name> = status, and for covered features
// feature.<name>.steps = the tally, for CI tools that chart properties.
func featureProperties(fs []FeatureResult) []junitProperty {
	var p []junitProperty
	for _, f := range fs {
		p = append(p, junitProperty{Name: "feature." + f.Name, Value: string(f.Status)})
		if f.Steps.Total() > 0 {
			p = append(p, junitProperty{Name: "feature." + f.Name + ".steps", Value: tallyWords(f.Steps)})
		}
		if len(f.SkipReasons) > 0 {
			p = append(p, junitProperty{Name: "feature." + f.Name + ".skipped", Value: strings.Join(f.SkipReasons, "; ")})
		}
	}
	return p
}

// dimensionProperties are dimension.<name>=<value> = status and
// dimension.<name>=<value>.cases = the tally, then one "suspect" property per
// set of values with which every case failed.
func dimensionProperties(table *DimensionTable) []junitProperty {
	var p []junitProperty
	for _, d := range table.Dimensions {
		for _, v := range d.Values {
			key := "dimension." + d.Name + "=" + v.Value
			p = append(p, junitProperty{Name: key, Value: string(v.Status)}, junitProperty{Name: key + ".cases", Value: tallyWords(v.Cases)})
			if len(v.SkipReasons) > 0 {
				p = append(p, junitProperty{Name: key + ".skipped", Value: strings.Join(v.SkipReasons, "; ")})
			}
		}
	}
	if table.Widespread {
		p = append(p, junitProperty{Name: "suspect", Value: "none: failures are widespread (over half the cases)"})
	}
	for _, s := range table.Suspects {
		p = append(p, junitProperty{Name: "suspect", Value: strings.Join(s.Values, " + ") + ": all " + plural(s.Cases, "case", "cases") + " failed"})
	}
	return p
}
