package probes

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzDecodeJobs feeds arbitrary stdin to the batch decoder of `probe
// connect --batch`: it must return jobs or an error, never panic, and what it
// accepts must encode and decode to the same jobs.
func FuzzDecodeJobs(f *testing.F) {
	f.Add(`[{"from":"x/a","to":"y/b","host":"192.168.1.10","port":80,"protocol":"TCP"}]`)
	f.Add(`{"from":"x/a","host":"10.0.0.1","port":53,"protocol":"UDP","timeout":1000000}` + "\n" + `{"host":"10.0.0.2","port":1}`)
	f.Add(`[]`)
	f.Add(`[{"port":"80"}]`)
	f.Fuzz(func(t *testing.T, in string) {
		jobs, err := DecodeJobs(strings.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := EncodeJobs(&buf, jobs); err != nil {
			t.Fatalf("encode accepted jobs: %v", err)
		}
		again, err := DecodeJobs(&buf)
		if err != nil || len(again) != len(jobs) {
			t.Fatalf("round trip: %d jobs, err %v; want %d", len(again), err, len(jobs))
		}
		for i := range jobs {
			if again[i] != jobs[i] {
				t.Fatalf("round trip changed job %d: %+v -> %+v", i, jobs[i], again[i])
			}
		}
	})
}

// FuzzParsePorts feeds arbitrary --ports values to ParsePorts: every port it
// accepts is in range with a known protocol, and renders back to itself.
func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"80/TCP,81/UDP,82", "53/udp", "", "0/TCP", "65536", "80/ICMP", " 80 / TCP "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ports, err := ParsePorts(in)
		if err != nil {
			return
		}
		for _, p := range ports {
			if p.Port < 0 || p.Port > 65535 {
				t.Fatalf("%q: port %d out of range", in, p.Port)
			}
			if p.Protocol != TCP && p.Protocol != UDP && p.Protocol != SCTP {
				t.Fatalf("%q: protocol %q", in, p.Protocol)
			}
			back, err := ParsePorts(p.String())
			if err != nil || len(back) != 1 || back[0] != p {
				t.Fatalf("%q: %v does not render back to itself: %v %v", in, p, back, err)
			}
		}
	})
}
