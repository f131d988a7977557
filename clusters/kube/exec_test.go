package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/remotecommand"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/exec"

	"github.com/netpolcheck/netpolcheck/probes"
)

// execServer plays the API server's pods/exec endpoint over the WebSocket
// protocol v5.channel.k8s.io on loopback: it reads stdin until the client
// closes it, then answers as probe connect --batch would, or fails with the
// exit code of the pod named "fails".
type execServer struct {
	t     *testing.T
	paths []string
	query []map[string][]string
}

func (s *execServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.paths = append(s.paths, r.URL.Path)
	s.query = append(s.query, r.URL.Query())
	up := websocket.Upgrader{Subprotocols: []string{remotecommand.StreamProtocolV5Name}}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.t.Errorf("upgrade: %v", err)
		return
	}
	defer conn.Close()
	var stdin bytes.Buffer
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			s.t.Errorf("read: %v", err)
			return
		}
		if msg[0] == remotecommand.StreamClose && len(msg) == 2 && msg[1] == 0 {
			break
		}
		if msg[0] == 0 {
			stdin.Write(msg[1:])
		}
	}
	status := metav1.Status{Status: metav1.StatusSuccess}
	if strings.HasSuffix(r.URL.Path, "/fails/exec") {
		_ = conn.WriteMessage(websocket.BinaryMessage, append([]byte{2}, "probe: connect: decode job 1: bad\n"...))
		status = metav1.Status{Status: metav1.StatusFailure, Reason: remotecommand.NonZeroExitCodeReason,
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: remotecommand.ExitCodeCauseType, Message: "2"}}}}
	} else {
		jobs, err := probes.DecodeJobs(&stdin)
		if err != nil {
			s.t.Errorf("stdin: %v", err)
		}
		results := make([]probes.Result, len(jobs))
		for i, j := range jobs {
			results[i] = probes.Result{Job: j, Outcome: probes.Allowed, Detail: "answered " + j.Expect}
		}
		var out bytes.Buffer
		_ = probes.EncodeResults(&out, results)
		_ = conn.WriteMessage(websocket.BinaryMessage, append([]byte{1}, out.Bytes()...))
	}
	data, _ := json.Marshal(status)
	_ = conn.WriteMessage(websocket.BinaryMessage, append([]byte{3}, data...))
	_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
}

// TestExecutorSpeaksTheExecProtocol drives the real executor against a
// loopback server speaking the API server's exec protocol.
func TestExecutorSpeaksTheExecProtocol(t *testing.T) {
	srv := &execServer{t: t}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	_, executor, err := Connect(&rest.Config{Host: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	jobs := []probes.Job{{From: "x/a", To: "y/b", Host: "10.244.0.11", Port: 80, Protocol: "TCP", Expect: "y/b"}}
	var stdin, stdout, stderr bytes.Buffer
	if err := probes.EncodeJobs(&stdin, jobs); err != nil {
		t.Fatal(err)
	}
	err = executor.Exec(context.Background(), ExecRequest{
		Namespace: "npc-r1-0-x", Pod: "a", Container: ContainerName, Command: batchCommand(32),
		Stdin: &stdin, Stdout: &stdout, Stderr: &stderr,
	})
	if err != nil {
		t.Fatalf("exec: %v (stderr %q)", err, stderr.String())
	}
	results, err := probes.DecodeResults(&stdout)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Outcome != probes.Allowed || !reflect.DeepEqual(results[0].Job, jobs[0]) {
		t.Errorf("results %+v", results)
	}
	if want := "/api/v1/namespaces/npc-r1-0-x/pods/a/exec"; srv.paths[0] != want {
		t.Errorf("exec path %s, want %s", srv.paths[0], want)
	}
	wantQuery := map[string][]string{
		"container": {"probe"},
		"command":   {"/probe", "connect", "--batch", "--concurrency", "32"},
		"stdin":     {"true"}, "stdout": {"true"}, "stderr": {"true"},
	}
	if !reflect.DeepEqual(srv.query[0], wantQuery) {
		t.Errorf("exec query %v, want %v", srv.query[0], wantQuery)
	}

	stdout.Reset()
	err = executor.Exec(context.Background(), ExecRequest{
		Namespace: "npc-r1-0-x", Pod: "fails", Container: ContainerName, Command: batchCommand(32),
		Stdin: strings.NewReader("[]"), Stdout: &stdout, Stderr: &stderr,
	})
	var exit exec.CodeExitError
	if !errors.As(err, &exit) || exit.Code != 2 || err.Error() != "command terminated with exit code 2" {
		t.Errorf("failing exec: %v, want exit code 2", err)
	}
	if stderr.String() != "probe: connect: decode job 1: bad\n" {
		t.Errorf("stderr %q", stderr.String())
	}
}
