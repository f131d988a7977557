package kube

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/netpolcheck/netpolcheck/probes"
	"github.com/netpolcheck/netpolcheck/scenarios"
)

// The cluster DNS of a run by name. The names the pods resolve are the
// run's own Services', and the oracle judges each query against the model's
// kube-dns pod (scenarios.IsClusterDNS), whose namespace is renamed like any
// other; so that pod answers the queries itself, from a records file the
// backend writes into it through exec, and every probe pod's resolver
// points at its Service. CoreDNS, in the real kube-system, is not asked: a
// policy the oracle judged against the model's kube-system would not be the
// one that filtered it.
const (
	// recordsDir is the model DNS pod's writable volume, recordsFile its records.
	recordsDir    = "/records"
	recordsFile   = recordsDir + "/hosts"
	recordsVolume = "dns-records"
)

// dnsTarget tells whether the run probes by DNS name.
func (b *Backend) dnsTarget() bool { return slices.Contains(b.opts.Targets, probes.TargetDNS) }

// setupDNS makes the model's cluster DNS pod's Service before any pod, so
// that every pod can be made with its address as nameserver. A model
// without one leaves the pods on the cluster's own DNS; the runner skips
// their probes by name.
func (c *Cluster) setupDNS(ctx context.Context, w *scenarios.World) error {
	if !c.b.dnsTarget() {
		return nil
	}
	p, ok := w.ClusterDNS()
	if !ok {
		return nil
	}
	ns := c.names.real(p.Namespace)
	svc := probeService(ns, p, c.sctp)
	created, err := c.b.client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create the cluster DNS service %s/%s for %s: %w", ns, svc.Name, p.ID(), err)
	}
	if created.Spec.ClusterIP == "" || created.Spec.ClusterIP == corev1.ClusterIPNone {
		return fmt.Errorf("the cluster DNS service %s/%s has no ClusterIP", ns, svc.Name)
	}
	c.template.dnsServer, c.template.dnsPod = created.Spec.ClusterIP, p.ID()
	return nil
}

// dnsConfig points a pod's resolver at the model's DNS, with the search
// list and ndots kubelet writes for ClusterFirst.
func (t podTemplate) dnsConfig(namespace string) *corev1.PodDNSConfig {
	ndots := "5"
	return &corev1.PodDNSConfig{
		Nameservers: []string{t.dnsServer},
		Searches:    []string{namespace + ".svc." + probes.ClusterDomain, "svc." + probes.ClusterDomain, probes.ClusterDomain},
		Options:     []corev1.PodDNSConfigOption{{Name: "ndots", Value: &ndots}},
	}
}

// writeRecords gives the model's DNS pod the name and ClusterIP of every
// Service of the cluster, replacing what it had.
func (c *Cluster) writeRecords(ctx context.Context) error {
	dns, ok := c.pods[c.template.dnsPod]
	if c.template.dnsPod == "" || !ok {
		return nil
	}
	var records []string
	for _, lp := range c.pods {
		if lp.service != "" && lp.serviceIP != "" {
			records = append(records, probes.ServiceDNSName(lp.service, lp.namespace)+"="+lp.serviceIP)
		}
	}
	slices.Sort(records)
	cmd := append([]string{probeBinary, "dns-records", "--file", recordsFile}, records...)
	var stderr bytes.Buffer
	err := c.b.exec.Exec(ctx, ExecRequest{Namespace: dns.namespace, Pod: dns.name, Container: ContainerName,
		Command: cmd, Stdout: &stderr, Stderr: &stderr})
	if err != nil {
		return fmt.Errorf("write the DNS records into %s (%s/%s): %w%s", dns.id, dns.namespace, dns.name, err, stderrSuffix(stderr.String()))
	}
	return nil
}
