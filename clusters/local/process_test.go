package local

import (
	"os"
	"testing"
)

func TestParseProcStat(t *testing.T) {
	tail := " 1 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 987654 1000 10"
	tests := []struct {
		name      string
		stat      string
		start     uint64
		state     byte
		wantError bool
	}{
		{name: "plain", stat: "42 (sleep) S" + tail, start: 987654, state: 'S'},
		{name: "name with spaces and parens", stat: "42 (a) b (c) Z" + tail, start: 987654, state: 'Z'},
		{name: "no command", stat: "42 sleep S" + tail, wantError: true},
		{name: "too short", stat: "42 (sleep) S 1 1", wantError: true},
		{name: "bad start", stat: "42 (sleep) S 1 1 1 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 x 1000", wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, state, err := parseProcStat(tt.stat)
			if tt.wantError {
				if err == nil {
					t.Fatalf("parsed %q as start %d state %c; want an error", tt.stat, start, state)
				}
				return
			}
			if err != nil || start != tt.start || state != tt.state {
				t.Errorf("got %d, %c, %v; want %d, %c", start, state, err, tt.start, tt.state)
			}
		})
	}
}

func TestRunAlive(t *testing.T) {
	start, _, err := processStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		reg  registration
		want bool
	}{
		{"this process", registration{PID: os.Getpid(), ProcStart: start}, true},
		{"reused PID", registration{PID: os.Getpid(), ProcStart: start + 1}, false},
		{"no such process", registration{PID: 1 << 30, ProcStart: start}, false},
		{"unparsed file", registration{}, false},
	}
	for _, tt := range tests {
		if got := runAlive(tt.reg); got != tt.want {
			t.Errorf("%s: runAlive = %v, want %v", tt.name, got, tt.want)
		}
	}
}
