package probes

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeJobs(t *testing.T) {
	a := Job{From: "x/a", To: "x/b", Host: "10.0.0.2", Port: 80, Protocol: TCP, Expect: "x/b", Timeout: time.Second}
	b := Job{From: "x/a", To: "ext", Host: "192.0.2.1", Port: 53, Protocol: UDP}
	tests := []struct {
		name    string
		in      string
		want    []Job
		wantErr string
	}{
		{"array", `[{"from":"x/a","to":"x/b","host":"10.0.0.2","port":80,"protocol":"TCP","expect":"x/b","timeout":1000000000},
			{"from":"x/a","to":"ext","host":"192.0.2.1","port":53,"protocol":"UDP"}]`, []Job{a, b}, ""},
		{"json lines", "\n  {\"from\":\"x/a\",\"to\":\"ext\",\"host\":\"192.0.2.1\",\"port\":53,\"protocol\":\"UDP\"}\n{\"from\":\"x/a\",\"to\":\"ext\",\"host\":\"192.0.2.1\",\"port\":53,\"protocol\":\"UDP\"}\n", []Job{b, b}, ""},
		{"empty input", "", []Job{}, ""},
		{"blank input", " \n\t", []Job{}, ""},
		{"empty array", "[]", []Job{}, ""},
		{"null", "null", nil, "decode job 1: null is not a JSON object"},
		{"number line", "{\"host\":\"10.0.0.2\"}\n7", nil, "decode job 2: 7 is not a JSON object"},
		{"unknown field", `[{"host":"10.0.0.2"},{"host":"10.0.0.2","prot":80}]`, nil, `decode job 2: json: unknown field "prot"`},
		{"null in array", `[null]`, nil, "decode job 1: null is not a JSON object"},
		{"broken array", `[{"host":}]`, nil, "decode job array: invalid character '}'"},
		{"unknown field in lines", "{\"host\":\"10.0.0.2\"}\n{\"hots\":\"x\"}", nil, `decode job 2: json: unknown field "hots"`},
		{"timeout as text", `[{"host":"10.0.0.2","timeout":"1s"}]`, nil, "decode job 1: json: cannot unmarshal string"},
		{"after the array", `[] {}`, nil, "decode job array: data after the array"},
		{"broken line", "{\"host\":", nil, "decode job 1: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeJobs(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("DecodeJobs error = %v, want it to start with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeJobs: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeJobs = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEncodeResults(t *testing.T) {
	results := []Result{
		{Job: Job{From: "x/a", To: "x/b", Host: "10.0.0.2", Port: 80, Protocol: TCP}, Outcome: Allowed, Detail: "answered x/b", Elapsed: 1500 * time.Microsecond},
		{Job: Job{From: "x/a", To: "x/c", Host: "10.0.0.3", Port: 81, Protocol: UDP, Timeout: time.Second}, Outcome: Blocked, Detail: "reply: no answer within 1s", Elapsed: time.Second},
	}
	var buf bytes.Buffer
	if err := EncodeResults(&buf, results); err != nil {
		t.Fatalf("EncodeResults: %v", err)
	}
	want := `[
{"job":{"from":"x/a","to":"x/b","host":"10.0.0.2","port":80,"protocol":"TCP"},"outcome":"allowed","detail":"answered x/b","elapsed":1500000},
{"job":{"from":"x/a","to":"x/c","host":"10.0.0.3","port":81,"protocol":"UDP","timeout":1000000000},"outcome":"blocked","detail":"reply: no answer within 1s","elapsed":1000000000}
]
`
	if buf.String() != want {
		t.Errorf("EncodeResults wrote\n%s\nwant\n%s", buf.String(), want)
	}
	back, err := DecodeResults(&buf)
	if err != nil {
		t.Fatalf("DecodeResults: %v", err)
	}
	if !reflect.DeepEqual(back, results) {
		t.Errorf("DecodeResults = %+v, want %+v", back, results)
	}
}

func TestEncodeEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeResults(&buf, nil); err != nil || buf.String() != "[]\n" {
		t.Errorf("EncodeResults(nil) wrote %q, %v; want %q", buf.String(), err, "[]\n")
	}
	back, err := DecodeResults(&buf)
	if err != nil || back == nil || len(back) != 0 {
		t.Errorf("DecodeResults(%q) = %#v, %v; want an empty slice", "[]\n", back, err)
	}
}

func TestJobsRoundTrip(t *testing.T) {
	jobs := []Job{
		{From: "x/a", To: "x/b", Host: "10.0.0.2", Port: 80, Protocol: TCP, Expect: "x/b", Timeout: 250 * time.Millisecond},
		{From: "x/a", To: "y/a", Host: "fd00::3", Port: 9000, Protocol: SCTP},
	}
	var buf bytes.Buffer
	if err := EncodeJobs(&buf, jobs); err != nil {
		t.Fatalf("EncodeJobs: %v", err)
	}
	back, err := DecodeJobs(&buf)
	if err != nil {
		t.Fatalf("DecodeJobs: %v", err)
	}
	if !reflect.DeepEqual(back, jobs) {
		t.Errorf("round trip = %+v, want %+v", back, jobs)
	}
}

func TestDecodeResultsRejects(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{`[{"job":{},"outcome":"allowed","extra":1}]`, `decode results: json: unknown field "extra"`},
		{`[] []`, "decode results: data after the array"},
		{``, "decode results: EOF"},
	}
	for _, tt := range tests {
		_, err := DecodeResults(strings.NewReader(tt.in))
		if err == nil || err.Error() != tt.wantErr {
			t.Errorf("DecodeResults(%q) error = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}
