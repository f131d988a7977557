package app

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/library"
)

// selectionFlags choose scenarios, the same way in every command.
type selectionFlags struct {
	files []string
	scenarios.Selector
}

func (f *selectionFlags) bind(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&f.files, "file", "f", nil, "scenario file, manifest file or directory (repeatable); the built-in library when absent")
	fs.StringArrayVar(&f.Focus, "focus", nil, "run only scenarios whose name matches this regular expression (repeatable)")
	fs.StringArrayVar(&f.Skip, "skip", nil, "skip scenarios whose name matches this regular expression (repeatable)")
	fs.StringSliceVar(&f.Tags, "tags", nil, "run only scenarios carrying one of these tags")
	fs.StringSliceVar(&f.ExcludeTags, "exclude-tags", nil, "skip scenarios carrying any of these tags")
}

// load reads and selects the scenarios. An empty selection is bad input: a
// run that tests nothing must not look like a pass.
func (f *selectionFlags) load() ([]*scenarios.Scenario, error) {
	var all []*scenarios.Scenario
	var err error
	if len(f.files) == 0 {
		all, err = library.Builtin()
		if err != nil {
			return nil, fmt.Errorf("built-in library: %w", err)
		}
	} else if all, err = scenarios.LoadPaths(f.files); err != nil {
		return nil, err
	}
	selected, err := f.Select(all)
	if err != nil {
		return nil, err
	}
	if len(selected) == 0 {
		return nil, badInput("no scenario matches the selection (%d scenarios before --focus/--skip/--tags/--exclude-tags)", len(all))
	}
	return selected, nil
}
