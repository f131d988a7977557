package reports

import "testing"

func TestCompareCell(t *testing.T) {
	dropped := Probed{Outcome: OutcomeBlocked, Blocked: BlockedDropped}
	refused := Probed{Outcome: OutcomeBlocked, Blocked: BlockedRefused}
	allowed := Probed{Outcome: OutcomeAllowed}
	with := func(o Probed, change func(*Probed)) Probed { change(&o); return o }
	tests := []struct {
		name     string
		expected Outcome
		observed Probed
		want     Status
	}{
		{"allowed as expected", OutcomeAllowed, allowed, Pass},
		{"dropped as expected", OutcomeBlocked, dropped, Pass},
		{"refused as expected", OutcomeBlocked, refused, Pass},
		{"allowed, expected blocked", OutcomeBlocked, allowed, Fail},
		{"dropped, expected allowed", OutcomeAllowed, dropped, Fail},
		{"refused, expected allowed", OutcomeAllowed, refused, Fail},
		{"an error is never blocked", OutcomeBlocked, Probed{Outcome: OutcomeError}, Error},
		{"an error where allowed", OutcomeAllowed, Probed{Outcome: OutcomeError}, Error},
		{"no answer at all is not a pass", OutcomeBlocked, Probed{}, Fail},
		{"skipped", OutcomeAllowed, Probed{Outcome: OutcomeSkipped}, Skipped},
		{"skipped beats loopback", OutcomeBlocked, Probed{Outcome: OutcomeSkipped, Loopback: true}, Skipped},
		{"loopback matching", OutcomeAllowed, with(allowed, func(o *Probed) { o.Loopback = true }), Pass},
		{"loopback differing is ignored", OutcomeBlocked, with(allowed, func(o *Probed) { o.Loopback = true }), Ignored},
		{"loopback error is an error", OutcomeBlocked, Probed{Outcome: OutcomeError, Loopback: true}, Error},
		{"undefined allowed", OutcomeUndefined, allowed, Undefined},
		{"undefined blocked", OutcomeUndefined, refused, Undefined},
		{"undefined error", OutcomeUndefined, Probed{Outcome: OutcomeError}, Error},
		{"refused where a Deny must drop", OutcomeBlocked, with(refused, func(o *Probed) { o.RefusedDeny = true }), Fail},
		{"blocked with no drop logged", OutcomeBlocked, with(dropped, func(o *Probed) { o.Undropped = true }), Fail},
		{"loopback not held to the drop log", OutcomeBlocked, with(dropped, func(o *Probed) { o.Loopback, o.Undropped = true, true }), Pass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CompareCell(tt.expected, tt.observed); got != tt.want {
				t.Errorf("CompareCell(%s, %+v) = %s, want %s", tt.expected, tt.observed, got, tt.want)
			}
		})
	}
}

func TestSettled(t *testing.T) {
	for s, want := range map[Status]bool{Pass: true, Ignored: true, Undefined: true, Skipped: true, Fail: false, Error: false, "": false} {
		if got := s.Settled(); got != want {
			t.Errorf("%q.Settled() = %v, want %v", s, got, want)
		}
	}
}
