package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// malformedCases is every file of testdata/malformed with the exact error it
// must give. Each file holds one fault; its NAME.err sibling holds the same
// text for the CLI's exit-code test.
var malformedCases = []struct{ file, want string }{
	{"manifest-anp-accept.yaml", `manifest-anp-accept.yaml:10: spec.ingress[0].action: unsupported value "Accept": must be Allow, Deny or Pass`},
	{"manifest-anp-port.yaml", `manifest-anp-port.yaml:16: spec.ingress[0].ports[0].portNumber.protocol: unknown protocol "ICMP": must be TCP, UDP or SCTP`},
	{"manifest-banp-name.yaml", `manifest-banp-name.yaml:4: metadata.name: Only one baseline admin network policy with metadata.name="default" can be created in the cluster`},
	{"manifest-banp-pass.yaml", `manifest-banp-pass.yaml:9: spec.egress[0].action: unsupported value "Pass": must be Allow or Deny`},
	{"cnp-action.yaml", `cnp-action.yaml:20: steps[0].actions[0].apply.spec.ingress[0].action: unsupported value "Allow": must be Accept, Deny or Pass`},
	{"cnp-api-version.yaml", `cnp-api-version.yaml:12: steps[0].actions[0].apply.apiVersion: unsupported apiVersion "policy.networking.k8s.io/v1alpha1" for ClusterNetworkPolicy: want policy.networking.k8s.io/v1alpha2 or policy.networking.k8s.io/v1beta1`},
	{"cnp-ingress-networks.yaml", `cnp-ingress-networks.yaml:22: steps[0].actions[0].apply.spec.ingress[0].from[0]: unknown field "networks"`},
	{"cnp-named-port-networks.yaml", `cnp-named-port-networks.yaml:22: steps[0].actions[0].apply.spec.egress[0].to[0]: networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames`},
	{"cnp-network-host-bits.yaml", `cnp-network-host-bits.yaml:22: steps[0].actions[0].apply.spec.egress[0].to[0].networks[0]: Invalid CIDR format provided: "10.0.0.1/8" (want an address range in CIDR notation with no host bits set, such as 10.0.0.0/8)`},
	{"cnp-peer-empty.yaml", `cnp-peer-empty.yaml:22: steps[0].actions[0].apply.spec.ingress[0].from[0]: must set exactly one of namespaces and pods`},
	{"cnp-port-range.yaml", `cnp-port-range.yaml:24: steps[0].actions[0].apply.spec.ingress[0].protocols[0].tcp.destinationPort.range: Start port must be less than End port (start 90, end 80)`},
	{"cnp-priority-missing.yaml", `cnp-priority-missing.yaml:16: steps[0].actions[0].apply.spec.priority: required by the ClusterNetworkPolicy schema`},
	{"cnp-priority.yaml", `cnp-priority.yaml:17: steps[0].actions[0].apply.spec.priority: must be between 0 and 1000, not 1001`},
	{"cnp-rules-26.yaml", `cnp-rules-26.yaml:19: steps[0].actions[0].apply.spec.ingress: has 26 rules, at most 25`},
	{"cnp-subject-pods-no-selector.yaml", `cnp-subject-pods-no-selector.yaml:19: steps[0].actions[0].apply.spec.subject.pods.podSelector: required by the ClusterNetworkPolicy schema`},
	{"cnp-subject-two.yaml", `cnp-subject-two.yaml:18: steps[0].actions[0].apply.spec.subject: sets namespaces and pods: must set exactly one`},
	{"cnp-tier.yaml", `cnp-tier.yaml:16: steps[0].actions[0].apply.spec.tier: unsupported value "Super": must be Admin or Baseline`},
	{"delete-missing-cnp.yaml", `delete-missing-cnp.yaml:11: steps[0].actions[0].delete: policy "ClusterNetworkPolicy/nope" does not exist`},
	{"manifest-cnp-domain.yaml", `manifest-cnp-domain.yaml:13: spec.egress[0].to[0].domainNames[1]: invalid domain name "*kubernetes.io": labels of letters, digits, '-' and '_', optionally after a leading '*.'`},
	{"action-empty.yaml", `action-empty.yaml:8: steps[0].actions[0]: no action set: set exactly one of apply, update, delete, setPodLabels, removePodLabels, setNamespaceLabels, removeNamespaceLabels, createPod, deletePod, createNamespace, deleteNamespace`},
	{"action-two.yaml", `action-two.yaml:10: steps[0].actions[0]: sets deletePod and deleteNamespace: an action sets exactly one field`},
	{"alias-cycle.yaml", `alias-cycle.yaml:14: steps[0].actions[0].apply.spec.ingress[0].ports[0].port[0][0]: alias *p refers to a node that contains it`},
	{"cidr-bad-address.yaml", `cidr-bad-address.yaml:17: steps[0].actions[0].apply.spec.egress[0].to[0].ipBlock.cidr: invalid CIDR "10.0.0.300/24": bad address "10.0.0.300"`},
	{"cidr-bad-prefix.yaml", `cidr-bad-prefix.yaml:17: steps[0].actions[0].apply.spec.egress[0].to[0].ipBlock.cidr: invalid CIDR "10.0.0.0/33": bad prefix length "33"`},
	{"cidr-no-prefix.yaml", `cidr-no-prefix.yaml:17: steps[0].actions[0].apply.spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "10.0.0.0": no prefix length`},
	{"create-pod-missing-namespace.yaml", `create-pod-missing-namespace.yaml:8: steps[0].actions[0].createPod.namespace: namespace "y" does not exist`},
	{"delete-missing-policy.yaml", `delete-missing-policy.yaml:12: steps[0].actions[1].delete: policy "x/q" does not exist`},
	{"delete-namespace-twice.yaml", `delete-namespace-twice.yaml:12: steps[1].actions[0].deleteNamespace: namespace "y" does not exist`},
	{"duplicate-external.yaml", `duplicate-external.yaml:7: model.externalHosts[1].name: duplicate external host "web"`},
	{"duplicate-namespace.yaml", `duplicate-namespace.yaml:6: model.namespaces[2].name: duplicate namespace "x"`},
	{"duplicate-pod.yaml", `duplicate-pod.yaml:7: model.namespaces[0].pods[1].name: duplicate pod "x/a"`},
	{"duplicate-step.yaml", `duplicate-step.yaml:7: steps[1].name: duplicate step name "s" (also steps[0])`},
	{"endport-less.yaml", `endport-less.yaml:18: steps[0].actions[0].apply.spec.ingress[0].ports[0].endPort: endPort 79 is less than port 80`},
	{"endport-named.yaml", `endport-named.yaml:18: steps[0].actions[0].apply.spec.ingress[0].ports[0].endPort: endPort cannot be used with the named port "http"`},
	{"endport-without-port.yaml", `endport-without-port.yaml:17: steps[0].actions[0].apply.spec.ingress[0].ports[0].endPort: endPort requires port`},
	{"except-equal.yaml", `except-equal.yaml:19: steps[0].actions[0].apply.spec.ingress[0].from[0].ipBlock.except[0]: except "10.0.0.0/16" is not strictly inside cidr "10.0.0.0/16"`},
	{"except-outside.yaml", `except-outside.yaml:19: steps[0].actions[0].apply.spec.ingress[0].from[0].ipBlock.except[0]: except "10.1.0.0/24" is not strictly inside cidr "10.0.0.0/16"`},
	{"expect-allow-and-deny.yaml", `expect-allow-and-deny.yaml:12: steps[0].expect.rules[0]: sets more than one of allow, deny and undefined: a rule sets exactly one`},
	{"expect-default.yaml", `expect-default.yaml:8: steps[0].expect.default: invalid default "maybe": want allow or deny`},
	{"expect-on.yaml", `expect-on.yaml:14: steps[0].expect.rules[0].on: invalid port "80/ICMP": unknown protocol "ICMP": must be TCP, UDP or SCTP`},
	{"expect-peer.yaml", `expect-peer.yaml:12: steps[0].expect.rules[0].allow: invalid peer "x/[a": bad pattern "[a"`},
	{"expect-unknown-pod.yaml", `expect-unknown-pod.yaml:13: steps[0].expect.rules[0].to: pod "x/b" does not exist`},
	{"grid-short-row.yaml", `grid-short-row.yaml:16: steps[0].expect.grids[0].rows: row "x/b" has 1 cells, want 2`},
	{"grid-unknown-endpoint.yaml", `grid-unknown-endpoint.yaml:16: steps[0].expect.grids[0].rows: unknown destination "x/c"`},
	{"manifest-api-version.yaml", `manifest-api-version.yaml:1: apiVersion: unsupported apiVersion "networking.k8s.io/v1beta1" for NetworkPolicy: want networking.k8s.io/v1`},
	{"manifest-container-port.yaml", `manifest-container-port.yaml:15: spec.containers[1].ports[0].containerPort: port 70000 is out of range 1-65535`},
	{"manifest-duplicate-policy.yaml", `manifest-duplicate-policy.yaml:11: metadata.name: duplicate NetworkPolicy "default/deny-all"`},
	{"manifest-kind.yaml", `manifest-kind.yaml:7: kind: unsupported kind "Deployment": want Namespace, Pod, NetworkPolicy, ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy or a v1 List of them`},
	{"manifest-missing-namespace.yaml", `manifest-missing-namespace.yaml:5: metadata.namespace: namespace "shop" does not exist`},
	{"manifest-policy-cidr.yaml", `manifest-policy-cidr.yaml:11: spec.egress[0].to[0].ipBlock.except[0]: except "192.168.0.0/16" is not strictly inside cidr "10.0.0.0/8"`},
	{"manifest-unknown-field.yaml", `manifest-unknown-field.yaml:11: spec.containers[0].ports[0]: unknown field "protocl"`},
	{"namespace-name-label.yaml", `namespace-name-label.yaml:6: model.namespaces[0].labels: label kubernetes.io/metadata.name must equal the namespace name "x"`},
	{"no-name.yaml", `no-name.yaml:1: name: required`},
	{"no-steps.yaml", `no-steps.yaml:1: steps: required: a scenario has at least one step`},
	{"peer-combined.yaml", `peer-combined.yaml:17: steps[0].actions[0].apply.spec.ingress[0].from[0]: ipBlock cannot be combined with podSelector or namespaceSelector`},
	{"placeholder-unknown-pod.yaml", `placeholder-unknown-pod.yaml:17: steps[0].actions[0].apply.spec.egress[0].to[0].ipBlock.cidr: placeholder {{ podIP "x/zz" }}: pod "x/zz" does not exist`},
	{"pod-ip-duplicate.yaml", `pod-ip-duplicate.yaml:11: model.namespaces[1].pods[0].ip: pod IP "192.168.0.20" is already used by pod x/a`},
	{"pod-label-key.yaml", `pod-label-key.yaml:9: model.namespaces[0].pods[0].labels: invalid label key "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`},
	{"pod-port-name.yaml", `pod-port-name.yaml:8: model.namespaces[0].pods[0].ports[0].name: invalid port name "a-very-long-port-name": must be no more than 15 characters`},
	{"pod-port-range.yaml", `pod-port-range.yaml:8: model.namespaces[0].pods[0].ports[0].port: port 0 is out of range 1-65535`},
	{"pod-protocol.yaml", `pod-protocol.yaml:4: model.defaultPorts[0].protocol: unknown protocol "tcp": must be TCP, UDP or SCTP`},
	{"policy-namespace-missing.yaml", `policy-namespace-missing.yaml:9: steps[0].actions[0].apply.metadata.namespace: namespace "z" does not exist`},
	{"policy-no-namespace.yaml", `policy-no-namespace.yaml:9: steps[0].actions[0].apply.metadata.namespace: required: a policy must name its namespace`},
	{"policy-port-name.yaml", `policy-port-name.yaml:17: steps[0].actions[0].apply.spec.ingress[0].ports[0].port: invalid port name "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`},
	{"policy-port-range.yaml", `policy-port-range.yaml:17: steps[0].actions[0].apply.spec.ingress[0].ports[0].port: port 70000 is out of range 1-65535`},
	{"policy-protocol.yaml", `policy-protocol.yaml:18: steps[0].actions[0].apply.spec.ingress[0].ports[0].protocol: unknown protocol "ICMP": must be TCP, UDP or SCTP`},
	{"policy-type.yaml", `policy-type.yaml:15: steps[0].actions[0].apply.spec.policyTypes[1]: unknown policy type "Both": must be Ingress or Egress`},
	{"remove-missing-label.yaml", `remove-missing-label.yaml:11: steps[0].actions[0].removePodLabels.keys[0]: pod x/a has no label "app"`},
	{"selector-exists-values.yaml", `selector-exists-values.yaml:19: steps[0].actions[0].apply.spec.egress[0].to[0].podSelector.matchExpressions[0].values: operator Exists must not have values`},
	{"selector-in-no-values.yaml", `selector-in-no-values.yaml:19: steps[0].actions[0].apply.spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values: operator NotIn needs at least one value`},
	{"selector-label-value.yaml", `selector-label-value.yaml:18: steps[0].actions[0].apply.spec.ingress[0].from[0].podSelector.matchLabels: invalid label value "not valid!" for key "pod": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`},
	{"selector-operator.yaml", `selector-operator.yaml:19: steps[0].actions[0].apply.spec.ingress[0].from[0].podSelector.matchExpressions[0].operator: unknown operator "Equals": must be In, NotIn, Exists or DoesNotExist`},
	{"step-missing-pod.yaml", `step-missing-pod.yaml:12: steps[1].actions[0].setPodLabels.pod: pod "x/b" does not exist`},
	{"unknown-field-policy.yaml", `unknown-field-policy.yaml:12: steps[0].actions[0].apply.spec: unknown field "ingres"`},
	{"unknown-field.yaml", `unknown-field.yaml:7: model.namespaces[0].pods[0]: unknown field "lables"`},
	{"update-missing-policy.yaml", `update-missing-policy.yaml:9: steps[0].actions[0].update.metadata.name: policy "x/never-applied" does not exist`},
	{"wrong-type.yaml", `wrong-type.yaml:4: model.defaultPorts[0].port: must be an integer, not "eighty"`},
	{"external-ip-0-0-0-0.yaml", `external-ip-0-0-0-0.yaml:6: model.externalHosts[0].ip: external host IP "0.0.0.0" is in 0.0.0.0/8 ("this network"), not a host address`},
	{"external-ip-127-0-0-1.yaml", `external-ip-127-0-0-1.yaml:6: model.externalHosts[0].ip: external host IP "127.0.0.1" is a loopback address, not a host address`},
	{"external-ip-169-254-1-1.yaml", `external-ip-169-254-1-1.yaml:6: model.externalHosts[0].ip: external host IP "169.254.1.1" is reserved: it is the local cluster's gateway on every pod's link`},
	{"external-ip-224-0-0-1.yaml", `external-ip-224-0-0-1.yaml:6: model.externalHosts[0].ip: external host IP "224.0.0.1" is a multicast address, not a host address`},
	{"external-ip-255-255-255-255.yaml", `external-ip-255-255-255-255.yaml:6: model.externalHosts[0].ip: external host IP "255.255.255.255" is the broadcast address, not a host address`},
	{"expect-port-not-served.yaml", `expect-port-not-served.yaml:15: steps[0].expect.rules[0].on: no destination of this rule serves 81/TCP: the rule would match no cell`},
	{"manifest-pod-no-containers.yaml", `manifest-pod-no-containers.yaml:6: spec.containers: required: a Pod has at least one container, as the API server requires`},
	{"scenario-name-nul.yaml", `scenario-name-nul.yaml:1: name: invalid name "bad\x00name": contains the control character U+0000`},
	{"step-name-control.yaml", `step-name-control.yaml:3: steps[0].name: invalid name "step\x1bname": contains the control character U+001B`},
	{"manifest-pod-ipv6.yaml", `manifest-pod-ipv6.yaml:10: status.podIP: pod IP "fd00::7" is IPv6: IPv6 and dual-stack pods are not supported yet`},
	{"pod-ip-loopback.yaml", `pod-ip-loopback.yaml:7: model.namespaces[0].pods[0].ip: pod IP "127.0.0.1" is a loopback address, not a host address`},
	{"manifest-pod-dual-stack.yaml", `manifest-pod-dual-stack.yaml:13: status.podIPs[1]: pod IP "fd00:10:244::5" is IPv6: IPv6 and dual-stack pods are not supported yet`},
	{"yaml-syntax.yaml", `yaml-syntax.yaml:5: YAML syntax error: did not find expected ',' or '}'`},
}

func TestMalformedFiles(t *testing.T) {
	for _, tc := range malformedCases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "malformed", tc.file)
			_, err := LoadPaths([]string{path})
			if err == nil {
				t.Fatalf("LoadPaths(%s) succeeded, want error %q", path, tc.want)
			}
			if got, want := err.Error(), filepath.Join("testdata", "malformed", tc.want); got != want {
				t.Errorf("error text\n got: %s\nwant: %s", got, want)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("errors.As(%T, *InputError) = false", err)
			}
			var all Errors
			if !errors.As(err, &all) || len(all) != 1 {
				t.Errorf("want exactly one InputError, got %d: %v", len(all), err)
			}
			sibling, readErr := os.ReadFile(strings.TrimSuffix(path, filepath.Ext(path)) + ".err")
			if readErr != nil {
				t.Fatalf("read .err sibling: %v", readErr)
			}
			if got := strings.TrimSuffix(string(sibling), "\n"); got != tc.want {
				t.Errorf(".err file holds %q, want %q", got, tc.want)
			}
		})
	}
}

// TestMalformedFilesAllListed keeps the table and the directory in step, so a
// new malformed file cannot go untested.
func TestMalformedFilesAllListed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "malformed", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tc := range malformedCases {
		listed[tc.file] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no row in malformedCases", f)
		}
	}
	if len(files) != len(malformedCases) || len(files) < 36 {
		t.Errorf("%d malformed files, %d table rows; want equal and at least 36", len(files), len(malformedCases))
	}
}
