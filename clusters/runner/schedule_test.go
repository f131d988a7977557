package runner

import (
	"fmt"
	"testing"

	"github.com/netpolcheck/netpolcheck/scenarios"
)

func TestSchedule(t *testing.T) {
	host := func(ips ...string) *scenarios.Scenario {
		s := &scenarios.Scenario{}
		for _, ip := range ips {
			s.Model.ExternalHosts = append(s.Model.ExternalHosts, scenarios.ExternalHost{Name: "h" + ip, IP: ip})
		}
		return s
	}
	plain := &scenarios.Scenario{}
	reshaping := &scenarios.Scenario{Steps: []scenarios.Step{{Actions: []scenarios.Action{{DeleteNamespace: "y"}}}}}
	scns := []*scenarios.Scenario{
		plain,                          // 0
		host("192.0.2.1"),              // 1
		reshaping,                      // 2
		host("192.0.2.1", "192.0.2.2"), // 3
		host("192.0.2.2"),              // 4
		host("192.0.2.3"),              // 5
		plain,                          // 6
		host("192.0.2.1"),              // 7
		host("192.0.2.9"),              // 8: its host is named as 5's
	}
	scns[8].Model.ExternalHosts[0].Name = "h192.0.2.3"
	plans := make([]modelPlan, len(scns))
	plans[1].key, plans[3].key, plans[4].key, plans[7].key = "one host", "two hosts", "other host", "one host"
	tests := []struct {
		exclusive bool
		want      string
	}{
		// Linked by shared addresses, 1, 3, 4 and 7 are one chain, its
		// models next to each other.
		{true, "[[1 7 4 3] [5 8] [2] [0] [6]]"},
		{false, "[[2] [0] [1] [3] [4] [5] [6] [7] [8]]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(schedule(scns, plans, tt.exclusive)); got != tt.want {
			t.Errorf("exclusive %v: %s, want %s", tt.exclusive, got, tt.want)
		}
	}
}
