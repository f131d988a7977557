package e2e

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/netpolcheck/netpolcheck/enforcer/manifests"
)

// The enforcer's samples the enforcement feature reads.
const (
	ingressDrops  = `netpolcheck_enforcer_drops_total{direction="ingress"}`
	ingressDenied = `netpolcheck_enforcer_verdicts_total{direction="ingress",verdict="denied"}`
)

// enforcerMetrics scrapes /metrics of the enforcer pod on node through the
// API server's pod proxy: the test process needs no route to the nodes.
func enforcerMetrics(ctx context.Context, client kubernetes.Interface, node string) (map[string]float64, error) {
	pods, err := client.CoreV1().Pods(manifests.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/name=" + manifests.Name,
		FieldSelector: "spec.nodeName=" + node,
	})
	if err != nil {
		return nil, fmt.Errorf("enforcer pod on %s: %w", node, err)
	}
	if len(pods.Items) != 1 {
		return nil, fmt.Errorf("%d enforcer pods on %s, want 1", len(pods.Items), node)
	}
	name := pods.Items[0].Name
	body, err := client.CoreV1().Pods(manifests.Namespace).ProxyGet("http", name, "9090", "metrics", nil).DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("metrics of %s: %w", name, err)
	}
	return parseMetrics(string(body))
}

// parseMetrics reads the Prometheus text format into values by sample, the
// metric's name with its labels as written.
func parseMetrics(text string) (map[string]float64, error) {
	samples := map[string]float64{}
	for i, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cut := strings.LastIndexByte(line, ' ')
		if cut <= 0 {
			return nil, fmt.Errorf("metrics line %d: no value in %q", i+1, line)
		}
		v, err := strconv.ParseFloat(line[cut+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %d: %w", i+1, err)
		}
		samples[line[:cut]] = v
	}
	return samples, nil
}

func TestParseMetrics(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    map[string]float64
		wantErr string
	}{
		{"labelled and plain samples", "# HELP x y\n# TYPE x counter\n" + ingressDrops + " 4\nnetpolcheck_enforcer_syncs_total 12\nnetpolcheck_enforcer_last_sync_latency_seconds 0.0125\n",
			map[string]float64{ingressDrops: 4, "netpolcheck_enforcer_syncs_total": 12, "netpolcheck_enforcer_last_sync_latency_seconds": 0.0125}, ""},
		{"empty", "", map[string]float64{}, ""},
		{"no value", "netpolcheck_enforcer_syncs_total\n", nil, `metrics line 1: no value in "netpolcheck_enforcer_syncs_total"`},
		{"bad value", "# c\nx 1\ny one\n", nil, `metrics line 3: strconv.ParseFloat: parsing "one": invalid syntax`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMetrics(tt.text)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseMetrics = %v, %q; want %v, %q", got, gotErr, tt.want, tt.wantErr)
			}
		})
	}
}
