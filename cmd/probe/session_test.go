package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/netpolcheck/netpolcheck/probes"
)

func TestSessionAnswersEachBatchBySequence(t *testing.T) {
	srv, err := probes.Serve(context.Background(), "x/b", []probes.PortSpec{{Port: 0, Protocol: probes.TCP}})
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	defer srv.Close()
	job := fmt.Sprintf(`{"from":"x/a","to":"x/b","host":"127.0.0.1","port":%d,"protocol":"TCP","expect":"x/b","timeout":500000000}`, srv.Ports()[0].Port)
	wrong := strings.Replace(job, `"expect":"x/b"`, `"expect":"x/c"`, 1)
	in := fmt.Sprintf("{\"seq\":1,\"jobs\":[%s]}\n\n{\"seq\":2,\"jobs\":[%s,%s]}\n{\"seq\":3,\"jobs\":[]}\n", job, job, wrong)
	code, out, stderr := runCommand(t, context.Background(), in, "session", "--concurrency", "4")
	if code != 0 {
		t.Fatalf("session exited %d: %s", code, stderr)
	}
	got := map[int][]probes.Outcome{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r sessionReply
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		got[r.Seq] = []probes.Outcome{}
		for _, res := range r.Results {
			got[r.Seq] = append(got[r.Seq], res.Outcome)
		}
	}
	want := map[int][]probes.Outcome{1: {probes.Allowed}, 2: {probes.Allowed, probes.Error}, 3: {}}
	for seq, outcomes := range want {
		if !slices.Equal(got[seq], outcomes) {
			t.Errorf("batch %d: %v, want %v", seq, got[seq], outcomes)
		}
	}
	if len(got) != len(want) {
		t.Errorf("replies for %d batches, want %d: %v", len(got), len(want), got)
	}
}

func TestSessionRefusesWhatIsNotARequest(t *testing.T) {
	for _, in := range []string{
		"exchange 1\n",
		`{"seq":0,"jobs":[]}` + "\n",
		`{"seq":1}` + "\n",
		`{"seq":1,"jobs":[],"extra":true}` + "\n",
		`{"seq":1,"jobs":[{"frm":"x/a"}]}` + "\n",
	} {
		code, _, stderr := runCommand(t, context.Background(), in, "session")
		if code != exitUsage || !strings.Contains(stderr, "session") {
			t.Errorf("session with stdin %q = %d, %q; want exit %d", in, code, stderr, exitUsage)
		}
	}
	if code, _, _ := runCommand(t, context.Background(), "", "session", "--concurrency", "0"); code != exitUsage {
		t.Errorf("session --concurrency 0 = %d, want %d", code, exitUsage)
	}
}
