package reports

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// DimensionTable groups a run's cases by the "name=value" tags they carry,
// the dimension tags of generated cases (direction=egress, port=named, ...):
// for every value, how the cases having it went. It answers "named ports on
// egress fail" where the scenario list says "case 137 failed".
type DimensionTable struct {
	Dimensions []DimensionResult `json:"dimensions"`
	// Suspects are the values, and pairs of values of two dimensions, with
	// which every case failed, the most cases first; see Dimensions.
	Suspects []Suspect `json:"suspects,omitempty"`
	// Widespread says over half the tagged cases failed or errored: no value
	// stands out then, and Suspects is empty.
	Widespread bool `json:"widespread,omitempty"`
}

// DimensionResult is one dimension and its values, in the order the run
// first met them.
type DimensionResult struct {
	Name   string           `json:"name"`
	Values []DimensionValue `json:"values"`
}

// DimensionValue says how the cases having one dimension value went.
type DimensionValue struct {
	Value string `json:"value"`
	// Status is the worst of the cases' statuses: fail, error, skipped only
	// when every case was skipped for it, else pass.
	Status Status `json:"status"`
	// Cases counts the cases (scenarios) having the value by their status for it.
	Cases Tally `json:"cases"`
	// Failed names the cases that failed or errored.
	Failed []string `json:"failed,omitempty"`
	// SkipReasons say why cases were skipped for the value, each reason once.
	SkipReasons []string `json:"skipReasons,omitempty"`
}

// Suspect is one or two dimension values, as "name=value", every case
// having all of which failed or errored.
type Suspect struct {
	Values []string `json:"values"`
	Cases  int      `json:"cases"`
}

// TagsFlag is the --tags flag that selects the suspect's cases again.
func (s Suspect) TagsFlag() string { return "--tags " + strings.Join(s.Values, "+") }

// protocolDimension is the dimension whose values are judged by the cells
// of their own protocol: a case of protocol=sctp whose SCTP cells were all
// skipped tested the SCTP rule not at all, even if its TCP cells passed.
const protocolDimension = "protocol"

// TargetDimension is the dimension of how destination pods were dialled
// (by pod IP, through a Service), added to every case of a run that used
// more than one target. Its values are judged by their own cells, like
// protocol's, and a case that went wrong only through Services did not go
// wrong by pod IP.
const TargetDimension = "target"

// minSuspectCases is how many cases must share values before they are named
// suspects: with one case, every pair of its values would be.
const minSuspectCases = 2

// maxSuspects bounds the suspect list; past it the list stops helping.
const maxSuspects = 20

// Dimensions groups r's cases by their dimension tags; nil when no case
// carries one. Like Features it reads the results alone, so that
// `netpolcheck report` renders the same table.
func Dimensions(r *Results) *DimensionTable {
	if r == nil {
		return nil
	}
	g := newDimensionGrouping()
	for i := range r.Scenarios {
		g.addCase(&r.Scenarios[i])
	}
	if len(g.dimensions) == 0 {
		return nil
	}
	g.order(r.DimensionOrder)
	table := &DimensionTable{}
	for _, d := range g.dimensions {
		out := DimensionResult{Name: d.name}
		for _, v := range d.values {
			out.Values = append(out.Values, v.result())
		}
		table.Dimensions = append(table.Dimensions, out)
	}
	table.Suspects, table.Widespread = g.suspects()
	return table
}

// dimensionGrouping collects cases per dimension value.
type dimensionGrouping struct {
	dimensions []*dimension
	byName     map[string]*dimension
	// values counts the values of all dimensions: the next value's id.
	values int
	// cases are the tagged cases: whether each went wrong and which values it has.
	cases []taggedCase
}

type dimension struct {
	name   string
	values []*dimensionValue
	byName map[string]*dimensionValue
}

type dimensionValue struct {
	id          int // index among all values of all dimensions
	tag         string
	value       string
	cases       Tally
	failed      []string
	skipReasons []string
}

type taggedCase struct {
	bad    bool
	values []int // value ids, ascending
}

func newDimensionGrouping() *dimensionGrouping {
	return &dimensionGrouping{byName: map[string]*dimension{}}
}

func (g *dimensionGrouping) addCase(sc *ScenarioResult) {
	var ids []int
	for i, tag := range sc.Tags {
		name, value, ok := strings.Cut(tag, "=")
		if !ok || name == "" || value == "" || slices.Contains(sc.Tags[:i], tag) {
			continue // not a dimension tag, or counted already
		}
		v := g.value(name, value, tag)
		status := sc.Status
		switch name {
		case protocolDimension:
			status = protocolCaseStatus(sc, strings.ToUpper(value))
		case TargetDimension:
			status = targetCaseStatus(sc, value)
		}
		v.cases.add(status)
		switch status {
		case Pass:
		case Skipped:
			v.skipReasons = appendNew(v.skipReasons, caseSkipReasons(sc)...)
		default:
			v.failed = append(v.failed, sc.Name)
		}
		if sc.Status != Pass && sc.Status != Skipped && (status == Pass || status == Skipped) {
			// The case went wrong, but not with this value: it must not
			// make the value a suspect.
			continue
		}
		ids = append(ids, v.id)
	}
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	g.cases = append(g.cases, taggedCase{bad: sc.Status != Pass && sc.Status != Skipped, values: ids})
}

// order sorts dimensions and values into the canonical order, keeping the
// order of first appearance for what it does not list.
func (g *dimensionGrouping) order(canonical []DimensionOrder) {
	dimRank, valueRank := map[string]int{}, map[string]map[string]int{}
	for i, d := range canonical {
		if _, dup := dimRank[d.Name]; dup {
			continue
		}
		dimRank[d.Name] = i
		valueRank[d.Name] = map[string]int{}
		for j, v := range d.Values {
			if _, dup := valueRank[d.Name][v]; !dup {
				valueRank[d.Name][v] = j
			}
		}
	}
	rankOf := func(ranks map[string]int, key string) int {
		if r, ok := ranks[key]; ok {
			return r
		}
		return math.MaxInt
	}
	slices.SortStableFunc(g.dimensions, func(a, b *dimension) int {
		return cmp.Compare(rankOf(dimRank, a.name), rankOf(dimRank, b.name))
	})
	for _, d := range g.dimensions {
		ranks := valueRank[d.name]
		slices.SortStableFunc(d.values, func(a, b *dimensionValue) int {
			return cmp.Compare(rankOf(ranks, a.value), rankOf(ranks, b.value))
		})
	}
}

// value finds or adds a dimension value.
func (g *dimensionGrouping) value(name, value, tag string) *dimensionValue {
	d, ok := g.byName[name]
	if !ok {
		d = &dimension{name: name, byName: map[string]*dimensionValue{}}
		g.byName[name] = d
		g.dimensions = append(g.dimensions, d)
	}
	v, ok := d.byName[value]
	if !ok {
		v = &dimensionValue{id: g.values, tag: tag, value: value}
		g.values++
		d.byName[value] = v
		d.values = append(d.values, v)
	}
	return v
}

func (v *dimensionValue) result() DimensionValue {
	out := DimensionValue{Value: v.value, Cases: v.cases, Failed: v.failed, SkipReasons: v.skipReasons}
	switch {
	case v.cases.Failed > 0:
		out.Status = Fail
	case v.cases.Errored > 0:
		out.Status = Error
	case v.cases.Passed > 0:
		out.Status = Pass
	default:
		out.Status = Skipped
	}
	return out
}

// caseSkipReasons are why a case, or some of its cells, were skipped.
func caseSkipReasons(sc *ScenarioResult) []string {
	var out []string
	if sc.Status == Skipped && sc.Error != "" {
		out = append(out, sc.Error)
	}
	for i := range sc.Steps {
		out = append(out, stepSkipReasons(&sc.Steps[i])...)
	}
	return out
}

// protocolCaseStatus is how a case went for one protocol: a case that went
// wrong did so whatever the protocol (a UDP rule that opens TCP is a UDP
// bug), and a passing case in which no step tested that protocol's cells,
// all of them being skipped, is skipped for it.
func protocolCaseStatus(sc *ScenarioResult, protocol string) Status {
	if sc.Status != Pass {
		return sc.Status
	}
	tested := len(sc.Steps) == 0
	for i := range sc.Steps {
		if protocolStatus(&sc.Steps[i], protocol) != Skipped {
			tested = true
		}
	}
	if !tested {
		return Skipped
	}
	return Pass
}

// targetCaseStatus is how a case went for one target: by its cells of that
// target. A step that went wrong with no wrong cell (a change the cluster
// refused) went wrong for every target.
func targetCaseStatus(sc *ScenarioResult, target string) Status {
	if sc.Status == Skipped {
		return Skipped
	}
	status, tested := Pass, len(sc.Steps) == 0
	for i := range sc.Steps {
		st := &sc.Steps[i]
		if len(st.Cells) == 0 {
			tested = true
			if st.Status == Fail || st.Status == Error {
				status = worseStatus(status, st.Status)
			}
			continue
		}
		wrongCells := false
		for _, c := range st.Cells {
			switch c.Verdict {
			case Fail, Error:
				wrongCells = true
			}
			if cmp.Or(c.Target, TargetPod) != target {
				continue
			}
			switch c.Verdict {
			case Skipped:
			case Fail, Error:
				status = worseStatus(status, c.Verdict)
				tested = true
			default:
				tested = true
			}
		}
		if !wrongCells && (st.Status == Fail || st.Status == Error) {
			status = worseStatus(status, st.Status)
		}
	}
	if status == Pass && !tested {
		return Skipped
	}
	return status
}

// worseStatus is the worse of a and b: fail over error over pass.
func worseStatus(a, b Status) Status {
	rank := map[Status]int{Pass: 0, Error: 1, Fail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// suspects finds the values, then the pairs of values of two dimensions
// (neither a suspect itself), shared by at least minSuspectCases cases that
// all went wrong. When most cases went wrong, nearly every value would be
// one, and the list would only hide the news: the cluster fails broadly.
func (g *dimensionGrouping) suspects() ([]Suspect, bool) {
	bad := 0
	for _, c := range g.cases {
		if c.bad {
			bad++
		}
	}
	if bad == 0 {
		return nil, false
	}
	if 2*bad > len(g.cases) {
		return nil, true
	}
	n := g.values
	tags := make([]string, n)
	rank := make([]int, n) // a pair's values are named in table order
	r := 0
	for _, d := range g.dimensions {
		for _, v := range d.values {
			tags[v.id], rank[v.id] = v.tag, r
			r++
		}
	}
	type count struct{ cases, bad int }
	single := make([]count, n)
	pair := make([]count, n*n) // [a*n+b], a < b: dense, as n is a few dozen
	for _, c := range g.cases {
		for i, a := range c.values {
			s := single[a]
			s.cases++
			if c.bad {
				s.bad++
			}
			single[a] = s
			for _, b := range c.values[i+1:] {
				p := &pair[a*n+b]
				p.cases++
				if c.bad {
					p.bad++
				}
			}
		}
	}
	allBad := func(c count) bool { return c.cases >= minSuspectCases && c.bad == c.cases }
	var out []Suspect
	for id, c := range single {
		if allBad(c) {
			out = append(out, Suspect{Values: []string{tags[id]}, Cases: c.cases})
		}
	}
	for k, c := range pair {
		a, b := k/n, k%n
		if !allBad(c) || allBad(single[a]) || allBad(single[b]) || dimensionOf(tags[a]) == dimensionOf(tags[b]) {
			continue
		}
		if rank[b] < rank[a] {
			a, b = b, a
		}
		out = append(out, Suspect{Values: []string{tags[a], tags[b]}, Cases: c.cases})
	}
	slices.SortFunc(out, func(a, b Suspect) int {
		return cmp.Or(cmp.Compare(b.Cases, a.Cases), cmp.Compare(len(a.Values), len(b.Values)), slices.Compare(a.Values, b.Values))
	})
	if len(out) > maxSuspects {
		out = out[:maxSuspects]
	}
	return out, false
}

// dimensionOf is the name part of a "name=value" tag.
func dimensionOf(tag string) string {
	name, _, _ := strings.Cut(tag, "=")
	return name
}
