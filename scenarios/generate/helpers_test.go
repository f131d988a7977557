package generate

import (
	"strings"
	"sync"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

var (
	quickOnce = sync.OnceValues(func() ([]*scenarios.Scenario, error) { return Cases(Quick) })
	fullOnce  = sync.OnceValues(func() ([]*scenarios.Scenario, error) { return Cases(Full) })
)

// profileCases returns a profile's cases, computed once per test binary:
// tests must not change them.
func profileCases(t *testing.T, p Profile) []*scenarios.Scenario {
	t.Helper()
	cases, err := map[Profile]func() ([]*scenarios.Scenario, error){Quick: quickOnce, Full: fullOnce}[p]()
	if err != nil {
		t.Fatalf("Cases(%s): %v", p, err)
	}
	return cases
}

// walk simulates a scenario with the scenarios API alone and returns the
// oracle's table after each step; it shares no code with the generator's
// own simulation, so that the tests check that too.
func walk(s *scenarios.Scenario) ([]*truth.TruthTable, error) {
	st, err := scenarios.NewState(s)
	if err != nil {
		return nil, err
	}
	var tables []*truth.TruthTable
	for _, step := range s.Steps {
		for _, a := range step.Actions {
			c, err := st.Resolve(a)
			if err != nil {
				return nil, err
			}
			if err := st.Commit(c); err != nil {
				return nil, err
			}
		}
		tables = append(tables, truth.Compute(st.World()))
	}
	return tables, nil
}

// fingerprint renders a case's tables as text: endpoints, targets and one
// 0/1 per cell of every step. Equal fingerprints mean equal tables.
func fingerprint(tables []*truth.TruthTable) string {
	var b strings.Builder
	for _, tt := range tables {
		for _, e := range tt.Endpoints {
			b.WriteString(e.ID + " " + e.IP + ",")
		}
		for _, tg := range tt.Targets {
			b.WriteString(tt.Endpoints[tg.Endpoint].ID + " " + tg.Port.String() + ",")
		}
		for c := range tt.Cells() {
			if c.Allowed {
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
		b.WriteByte('|')
	}
	return b.String()
}

// libraryTags are a case's tags without the "dimension=value" ones.
func libraryTags(s *scenarios.Scenario) string {
	var out []string
	for _, tag := range s.Tags {
		if !strings.Contains(tag, "=") {
			out = append(out, tag)
		}
	}
	return strings.Join(out, ",")
}

// dimensionValues maps a case's dimension tags to their values.
func dimensionValues(s *scenarios.Scenario) map[string]string {
	out := map[string]string{}
	for _, tag := range s.Tags {
		if k, v, ok := strings.Cut(tag, "="); ok {
			out[k] = v
		}
	}
	return out
}

func names(cases []*scenarios.Scenario) []string {
	out := make([]string, len(cases))
	for i, s := range cases {
		out[i] = s.Name
	}
	return out
}
