package e2e

import (
	"fmt"
	"testing"
)

// gateVariable turns the suite on. Plain `go test ./...` must never create a
// cluster: that takes minutes and docker, and made CI time depend on
// whether a daemon happened to run.
const gateVariable = "NETPOLCHECK_E2E_KIND"

// skipReason is what every test says when the suite is off.
const skipReason = "creates a kind cluster: set " + gateVariable + "=1 to run it (make e2e-kind does)"

// parseGate reads the gate. Anything but empty, 0 or 1 is an error rather
// than a guess, so that a typo in CI (=true, =yes) fails loudly instead of
// skipping the suite.
func parseGate(value string) (bool, error) {
	switch value {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, fmt.Errorf("%s=%q: want 1 (run the kind end-to-end tests) or 0", gateVariable, value)
}

func TestParseGate(t *testing.T) {
	tests := []struct {
		value   string
		on      bool
		wantErr string
	}{
		{"", false, ""},
		{"0", false, ""},
		{"1", true, ""},
		{"true", false, `NETPOLCHECK_E2E_KIND="true": want 1 (run the kind end-to-end tests) or 0`},
		{" 1", false, `NETPOLCHECK_E2E_KIND=" 1": want 1 (run the kind end-to-end tests) or 0`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.value), func(t *testing.T) {
			on, err := parseGate(tt.value)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if on != tt.on || gotErr != tt.wantErr {
				t.Errorf("parseGate(%q) = %v, %q; want %v, %q", tt.value, on, gotErr, tt.on, tt.wantErr)
			}
		})
	}
}
