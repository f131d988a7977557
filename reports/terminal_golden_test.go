package reports

import (
	"bytes"
	"testing"
)

func TestTerminalGolden(t *testing.T) {
	tests := []struct {
		golden  string
		results *Results
		opts    TerminalOptions
	}{
		{"terminal-run.golden", runFixture(), TerminalOptions{}},
		{"terminal-run-verbose.golden", runFixture(), TerminalOptions{Verbose: true}},
		{"terminal-run-color.golden", runFixture(), TerminalOptions{Color: true}},
		{"terminal-simulate.golden", simulateFixture(), TerminalOptions{}},
		{"terminal-simulate-verbose.golden", simulateFixture(), TerminalOptions{Verbose: true}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteTerminal(&b, tt.results, tt.opts); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.golden, b.Bytes())
		})
	}
}
