package scenarios

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Selector picks scenarios for a command. A scenario is selected when its
// name matches any Focus expression (or Focus is empty), no Skip expression,
// it has at least one of Tags (or Tags is empty) and none of ExcludeTags.
type Selector struct {
	// Focus and Skip are regular expressions on scenario names.
	Focus, Skip []string
	// Tags and ExcludeTags are exact tag names. An entry joining tags with
	// "+" stands for a scenario having all of them: "direction=egress+port=named"
	// picks the cases that combine the two, as reports name them.
	Tags, ExcludeTags []string
}

// Select returns the selected scenarios in their input order. A bad regular
// expression is an InputError whose Field names the flag ("--focus", "--skip").
func (s Selector) Select(in []*Scenario) ([]*Scenario, error) {
	focus, err := compileAll(s.Focus, "--focus")
	if err != nil {
		return nil, err
	}
	skip, err := compileAll(s.Skip, "--skip")
	if err != nil {
		return nil, err
	}
	if err := checkTags(s.Tags, "--tags"); err != nil {
		return nil, err
	}
	if err := checkTags(s.ExcludeTags, "--exclude-tags"); err != nil {
		return nil, err
	}
	out := make([]*Scenario, 0, len(in))
	for _, sc := range in {
		if len(focus) > 0 && !anyMatch(focus, sc.Name) {
			continue
		}
		if anyMatch(skip, sc.Name) {
			continue
		}
		if len(s.Tags) > 0 && !slices.ContainsFunc(s.Tags, func(t string) bool { return hasTags(sc, t) }) {
			continue
		}
		if slices.ContainsFunc(s.ExcludeTags, func(t string) bool { return hasTags(sc, t) }) {
			continue
		}
		out = append(out, sc)
	}
	return out, nil
}

func compileAll(exprs []string, flag string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(exprs))
	for _, e := range exprs {
		re, err := regexp.Compile(e)
		if err != nil {
			return nil, &InputError{Field: flag, Msg: fmt.Sprintf("invalid regular expression %q: %v", e, err)}
		}
		out = append(out, re)
	}
	return out, nil
}

func anyMatch(res []*regexp.Regexp, name string) bool {
	return slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(name) })
}

// checkTags refuses an entry with an empty tag ("", "a+", "+b"), which
// would select nothing, or exclude nothing, without saying why.
func checkTags(entries []string, flag string) error {
	for _, e := range entries {
		if slices.Contains(strings.Split(e, "+"), "") {
			return &InputError{Field: flag, Msg: fmt.Sprintf("%q has an empty tag: give a tag, or tags joined with \"+\" (a+b)", e)}
		}
	}
	return nil
}

// hasTags says whether sc carries every tag of entry, tags joined by "+".
func hasTags(sc *Scenario, entry string) bool {
	for _, t := range strings.Split(entry, "+") {
		if !slices.Contains(sc.Tags, t) && !slices.Contains(sc.OriginTags(), t) {
			return false
		}
	}
	return true
}

// OriginTags are the tags a scenario carries by where it comes from, so
// that a family is selected as any tag is: source=upstream-e2e,
// source=pitfall, source=<seed file> and, for a pitfall, seed=<seed file>.
func (sc *Scenario) OriginTags() []string {
	var tags []string
	if sc.Source != "" {
		tags = append(tags, "source="+sc.Source)
	}
	if sc.Seed != "" {
		tags = append(tags, "seed="+sc.Seed)
	}
	return tags
}
