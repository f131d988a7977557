package generate

import "github.com/netpolcheck/netpolcheck/scenarios"

// newCase turns a combo into its scenario. Every call builds fresh values, so
// callers may change one case without touching another.
func newCase(c combo) *scenarios.Scenario {
	return &scenarios.Scenario{
		Name:        caseName(c),
		Description: description(c),
		Source:      scenarios.SourceGenerated,
		Tags:        tags(c),
		Model:       Model(),
		Steps:       steps(c),
	}
}
