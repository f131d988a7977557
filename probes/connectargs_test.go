package probes

import (
	"reflect"
	"testing"
	"time"
)

func TestConnectArgs(t *testing.T) {
	tests := []struct {
		name string
		job  Job
		want []string
	}{
		{"full", Job{From: "x/a", To: "x/b", Host: "10.0.0.2", Port: 80, Protocol: UDP, Expect: "x/b", Timeout: 1500 * time.Millisecond},
			[]string{"connect", "--to", "10.0.0.2", "--port", "80", "--protocol", "UDP", "--from", "x/a", "--expect", "x/b", "--timeout", "1.5s"}},
		{"minimal", Job{Host: "fd00::2", Port: 443},
			[]string{"connect", "--to", "fd00::2", "--port", "443"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ConnectArgs(tt.job); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ConnectArgs = %q, want %q", got, tt.want)
			}
		})
	}
}
