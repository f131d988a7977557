package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/netpolcheck/netpolcheck/probes"
)

type serveFlags struct {
	identity   string
	ports      string
	dnsRecords string
}

// runServe answers probes until ctx ends, which main ties to SIGTERM and SIGINT.
func runServe(ctx context.Context, args []string, s streams) error {
	var f serveFlags
	fs := newFlagSet("serve", s)
	fs.StringVar(&f.identity, "identity", "", "the identity to answer with, ns/pod (required)")
	fs.StringVar(&f.ports, "ports", "", "ports to serve, e.g. 80/TCP,81/UDP,82/SCTP (required)")
	fs.StringVar(&f.dnsRecords, "dns-records", "", "also answer DNS queries on the UDP ports, from this file of NAME ADDRESS lines (probe dns-records writes it): the pod then stands for the cluster's DNS")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.identity == "" {
		return usageErrorf("serve: --identity is required")
	}
	ports, err := probes.ParsePorts(f.ports)
	if err != nil {
		return usageErrorf("serve: --ports: %w", err)
	}
	srv, err := probes.Serve(ctx, f.identity, ports)
	if err != nil {
		return err
	}
	if f.dnsRecords != "" {
		srv.AnswerDNS(probes.RecordsAnswerer(f.dnsRecords))
	}
	fmt.Fprintf(s.err, "probe: serving %s on %s\n", f.identity, joinPorts(srv.Ports()))
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		return err
	}
	fmt.Fprintf(s.err, "probe: stopped serving %s\n", f.identity)
	return nil
}

func joinPorts(ports []probes.PortSpec) string {
	names := make([]string, len(ports))
	for i, p := range ports {
		names[i] = p.String()
	}
	return strings.Join(names, ",")
}

// runDNSRecords replaces the records file of a DNS-answering server.
func runDNSRecords(args []string, s streams) error {
	fs := newFlagSet("dns-records", s)
	file := fs.String("file", "", "the records file serve --dns-records reads (required)")
	if err := parseFlagsAndArgs(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usageErrorf("dns-records: --file is required")
	}
	if err := probes.WriteRecords(*file, fs.Args()); err != nil {
		return usageErrorf("dns-records: %w", err)
	}
	return nil
}
