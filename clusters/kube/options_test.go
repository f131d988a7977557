package kube

import (
	"context"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

func TestOptionsDefaults(t *testing.T) {
	got, err := Options{ProbeImage: "img"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Options{
		Name: "kube", ProbeImage: "img", PullPolicy: corev1.PullIfNotPresent,
		Targets: []probes.Target{probes.TargetPod}, SCTP: SCTPOff,
		ReadyTimeout: 2 * time.Minute, DeleteTimeout: 2 * time.Minute, Heartbeat: 30 * time.Second,
		ExecConcurrency: 32, SetupConcurrency: 8, ProbeConcurrency: probes.DefaultConcurrency, Converge: 20 * time.Second,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("withDefaults() =\n%+v\nwant\n%+v", got, want)
	}
}

// noHosts is an ExternalHosts that starts nothing.
type noHosts struct{}

func (noHosts) Add(context.Context, []scenarios.ExternalHost) error    { return nil }
func (noHosts) Remove(context.Context, []scenarios.ExternalHost) error { return nil }

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		err  string
	}{
		{"no image", Options{}, "no probe image given"},
		{"target", Options{ProbeImage: "i", Targets: []probes.Target{"node"}}, `target "node": not one of pod, service, dns`},
		{"target twice", Options{ProbeImage: "i", Targets: []probes.Target{probes.TargetService, probes.TargetService}}, `target "service" given twice`},
		{"sctp", Options{ProbeImage: "i", SCTP: "maybe"}, `SCTP mode "maybe" is not one of off, on, auto`},
		{"run ID", Options{ProbeImage: "i", RunID: "Run"}, `run ID "Run" may hold only lower-case letters and digits`},
		{"negative timeout", Options{ProbeImage: "i", ReadyTimeout: -time.Second}, "ready timeout -1s is negative"},
		{"negative concurrency", Options{ProbeImage: "i", ExecConcurrency: -1}, "exec concurrency -1 is negative"},
		{"static and provider", Options{ProbeImage: "i", ExternalHosts: noHosts{}, StaticHosts: []StaticHost{{"h", "192.0.2.1"}}},
			"static external hosts cannot be given with an external host provider"},
		{"static twice", Options{ProbeImage: "i", StaticHosts: []StaticHost{{"h", "192.0.2.1"}, {"g", "192.0.2.1"}}},
			"external hosts h and g have the same IP 192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.opts.withDefaults()
			if got := errText(err); got != tt.err {
				t.Errorf("withDefaults() error %q, want %q", got, tt.err)
			}
		})
	}
}

func TestProbeImage(t *testing.T) {
	tests := map[string]string{
		"v0.3.0":            "netpolcheck/probe:v0.3.0",
		"(devel)":           "netpolcheck/probe:devel",
		"":                  "netpolcheck/probe:devel",
		"0e7c821-dirty":     "netpolcheck/probe:0e7c821-dirty",
		"v1.0.0+build/meta": "netpolcheck/probe:v1.0.0-build-meta",
	}
	for in, want := range tests {
		if got := ProbeImage(in); got != want {
			t.Errorf("ProbeImage(%q) = %q, want %q", in, got, want)
		}
	}
}
