package reports

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The page's style and script, inlined so that the report is one file that
// works offline and from a CI artifact store.
var (
	//go:embed assets/report.css
	reportCSS string
	//go:embed assets/report.js
	reportJS string
)

// WriteHTML writes r as one self-contained page: inline CSS and script, and r
// itself as JSON (with a run's feature and dimension tables) from which the script builds the page. Scenario details and
// their matrices are built only when a scenario is opened, which keeps large
// runs fast; the first failing scenario is opened at load.
func WriteHTML(w io.Writer, r *Results) error {
	return writeHTML(w, r, nil)
}

// WriteComparisonHTML writes run b's page (see WriteHTML) opening with a
// section that sets it beside another run: c, which Compare made with b
// second.
func WriteComparisonHTML(w io.Writer, b *Results, c *Comparison) error {
	if c == nil {
		return errors.New("write html report: no comparison")
	}
	return writeHTML(w, b, c)
}

func writeHTML(w io.Writer, r *Results, c *Comparison) error {
	if r == nil {
		return errors.New("write html report: no results")
	}
	// encoding/json escapes <, > and & as \u003c and so on, so no scenario
	// name or policy can close the script element that carries the data.
	data, err := json.Marshal(htmlData{Results: r, Features: htmlFeatures(r), Dimensions: htmlDimensions(r), Timing: RunTiming(r), Behaviour: Behaviour(r), Comparison: c})
	if err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>netpolcheck report</title>
<style>
`)
	b.WriteString(reportCSS)
	b.WriteString(`</style>
</head>
<body>
<noscript>This report is drawn by JavaScript; the raw results are in the page source.</noscript>
<header id="summary"></header>
<nav id="filters"></nav>
<main id="scenarios"></main>
<script type="application/json" id="results">`)
	b.Write(data)
	b.WriteString(`</script>
<script>
`)
	b.WriteString(reportJS)
	b.WriteString(`</script>
</body>
</html>
`)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// htmlData is what the page is built from: the results, and for runs the
// feature table, computed here so that the page and the other reports agree.
type htmlData struct {
	*Results
	Features   []FeatureResult `json:"features,omitempty"`
	Dimensions *DimensionTable `json:"dimensions,omitempty"`
	Timing     *Timing         `json:"timing,omitempty"`
	Behaviour  []Observation   `json:"behaviour,omitempty"`
	Comparison *Comparison     `json:"comparison,omitempty"`
}

func htmlFeatures(r *Results) []FeatureResult {
	if r.Mode != modeRun {
		return nil
	}
	if fs := Features(r); anyCovered(fs) {
		return fs
	}
	return nil
}

func htmlDimensions(r *Results) *DimensionTable {
	if r.Mode != modeRun {
		return nil
	}
	return Dimensions(r)
}
