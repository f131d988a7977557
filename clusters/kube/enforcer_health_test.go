package kube

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	restclient "k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/netpolcheck/netpolcheck/enforcer/manifests"
)

// readyzAnswer answers the proxied /readyz of one pod.
type readyzAnswer struct {
	body string
	err  error
}

func (r readyzAnswer) DoRaw(context.Context) ([]byte, error)         { return []byte(r.body), r.err }
func (r readyzAnswer) Stream(context.Context) (io.ReadCloser, error) { return nil, r.err }

func enforcerPod(name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: manifests.Namespace, Labels: map[string]string{"app.kubernetes.io/name": manifests.Name}},
		Spec:       corev1.PodSpec{NodeName: node},
	}
}

// An enforcer that restarts (no answer, then starting) is waited for.
func TestCheckEnforcerWaitsForARestart(t *testing.T) {
	readyzPause = time.Millisecond
	client := fake.NewClientset(enforcerPod("e1", "n1"))
	answers := []readyzAnswer{
		{body: `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"error trying to reach service: dial tcp 100.64.0.3:9090: connect: connection refused","reason":"ServiceUnavailable","code":503}`, err: errors.New("the server is currently unable to handle the request")},
		{body: "not ready: waiting for the informers to sync and the first Apply\n", err: errors.New("unavailable")},
		{body: "ready: marker 0 in force at generation 3, 2 endpoints, controller idle\n"},
	}
	asked := 0
	client.AddProxyReactor("pods", func(k8stesting.Action) (bool, restclient.ResponseWrapper, error) {
		a := answers[min(asked, len(answers)-1)]
		asked++
		return true, a, nil
	})
	c := &Cluster{b: &Backend{client: client}}
	if err := c.CheckEnforcer(context.Background()); err != nil || asked != 3 {
		t.Errorf("CheckEnforcer = %v after %d asks, want nil after 3", err, asked)
	}
}

func TestCheckEnforcer(t *testing.T) {
	readyzPause = time.Millisecond
	tests := []struct {
		name    string
		pods    []runtime.Object
		answers map[string]readyzAnswer
		want    string
	}{
		{"no enforcer on the cluster: nothing to check", nil, nil, ""},
		{"every pod ready", []runtime.Object{enforcerPod("e1", "n1"), enforcerPod("e2", "n2")},
			map[string]readyzAnswer{"e1": {body: "ready"}, "e2": {body: "ready"}}, ""},
		{"a detached program", []runtime.Object{enforcerPod("e1", "n1"), enforcerPod("e2", "n2")},
			map[string]readyzAnswer{"e1": {body: "ready"}, "e2": {body: "not ready: programs not attached: nf_postrouting program detached (link 7); attached again\n", err: errors.New("the server is currently unable to handle the request")}},
			"reference enforcer not ready: e2 on node n2: not ready: programs not attached: nf_postrouting program detached (link 7); attached again"},
		{"a pod that does not answer", []runtime.Object{enforcerPod("e1", "n1")},
			map[string]readyzAnswer{"e1": {err: errors.New("dial tcp 172.18.0.3:9090: connect: connection refused")}},
			"reference enforcer not ready: e1 on node n1: dial tcp 172.18.0.3:9090: connect: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset(tt.pods...)
			asked := map[string]int{}
			client.AddProxyReactor("pods", func(a k8stesting.Action) (bool, restclient.ResponseWrapper, error) {
				p := a.(k8stesting.ProxyGetAction)
				asked[p.GetName()]++
				if p.GetPath() != "/readyz" || p.GetPort() != "9090" {
					t.Errorf("proxied %s:%s, want /readyz on 9090", p.GetPath(), p.GetPort())
				}
				return true, tt.answers[p.GetName()], nil
			})
			c := &Cluster{b: &Backend{client: client}}
			err := c.CheckEnforcer(context.Background())
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want && !(tt.want != "" && strings.HasPrefix(got, tt.want)) {
				t.Errorf("CheckEnforcer = %q, want %q", got, tt.want)
			}
			for name, answer := range tt.answers {
				want := 1
				if answer.err != nil && !strings.Contains(answer.body, "programs not attached") {
					want = readyzAttempts // no answer, or still starting: asked again
				}
				if asked[name] != want {
					t.Errorf("%s asked %d times, want %d", name, asked[name], want)
				}
			}
		})
	}
}
