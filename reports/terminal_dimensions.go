package reports

import "strings"

// maxDimensionCases is how many failing cases a dimension value line names.
const maxDimensionCases = 3

// dimensions writes the table of generated dimensions: for each value, how
// the cases having it went, then the values that every failing case shares.
func (t *terminalReport) dimensions(table *DimensionTable) {
	t.line("", "")
	t.line("", "dimensions (a value passes when every case having it passes):")
	var rows [][]styled
	for _, d := range table.Dimensions {
		for i, v := range d.Values {
			name := ""
			if i == 0 {
				name = d.Name
			}
			label, color := featureLabel(v.Status)
			detail := plural(v.Cases.Total(), "case", "cases") + ": " + tallyWords(v.Cases)
			if len(v.Failed) > 0 {
				detail += "; not passed: " + firstNames(v.Failed, maxDimensionCases)
			}
			if len(v.SkipReasons) > 0 {
				detail += "; skipped: " + strings.Join(v.SkipReasons, "; ")
			}
			rows = append(rows, []styled{{name, ""}, {v.Value, ""}, {label, color}, {detail, ""}})
		}
	}
	t.table("  ", rows)
	switch {
	case table.Widespread:
		t.line("", "")
		t.line("", "failures are widespread (over half the cases), so no value stands out")
	case len(table.Suspects) > 0:
		t.line("", "")
		t.line("", "failing together (every case with these values failed; select them again with --tags):")
		rows = rows[:0]
		for _, s := range table.Suspects {
			rows = append(rows, []styled{{strings.Join(s.Values, " + "), colorRed}, {"all " + plural(s.Cases, "case", "cases") + " failed", ""}, {s.TagsFlag(), ""}})
		}
		t.table("  ", rows)
	}
}
