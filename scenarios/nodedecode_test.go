package scenarios

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestDecodeStrictness(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"duplicate key", "name: a\nname: b\n", `test.yaml:2: duplicate key "name" (first at line 1)`},
		{"merge key", "base: &b {name: a}\n<<: *b\n", "test.yaml:1: unknown field \"base\"\ntest.yaml:2: merge keys (<<) are not supported"},
		{"wrong case", "Name: a\n", `test.yaml:1: unknown field "Name" (did you mean "name"?)`},
		{"list for a string", "name: [a]\n", `test.yaml:1: name: must be a string, not a list`},
		{"mapping for a list", "tags: {a: b}\n", `test.yaml:1: tags: must be a list, not a mapping`},
		{"string for a mapping", "model: flat\n", `test.yaml:1: model: must be a mapping, not "flat"`},
		{"quoted number for an integer", "model: {defaultPorts: [{port: '80'}]}\n", `test.yaml:1: model.defaultPorts[0].port: must be an integer, not "80"`},
		{"integer overflow", "model: {defaultPorts: [{port: 4294967296}]}\n", `test.yaml:1: model.defaultPorts[0].port: 4294967296 is out of range for a 32-bit integer`},
		{"non-string key", "model: {namespaces: [{name: x, labels: {[a]: b}}]}\n", `test.yaml:1: model.namespaces[0].labels: mapping keys must be strings, not a list`},
		{"not a mapping", "- a\n- b\n", `test.yaml:1: a scenario must be a mapping, not a list`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tc.doc))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

// Plain scalars for string fields keep their text, so that labels such as
// "version: 2" and "on: 80" need no quotes.
func TestDecodeScalarsIntoStrings(t *testing.T) {
	s := parseOne(t, `
name: 2024
model:
  defaultPorts: [{port: 80}]
  namespaces:
    - name: x
      labels: {version: 2, enabled: true}
      pods: [{name: a}]
steps:
  - name: 1
    expect:
      default: deny
      rules: [{allow: "*", to: x/a, on: 80}]
`)
	got := []string{s.Name, s.Model.Namespaces[0].Labels["version"], s.Model.Namespaces[0].Labels["enabled"], s.Steps[0].Name, s.Steps[0].Expect.Rules[0].On}
	equalJSON(t, "strings", got, []string{"2024", "2", "true", "1", "80"})
}

func TestDecodeAliasesAndBudget(t *testing.T) {
	s := parseOne(t, `
name: aliases
model:
  namespaces:
    - name: x
      labels: &common {team: blue}
      pods: [{name: a, labels: *common}]
steps: [{name: s}]
`)
	equalJSON(t, "aliased labels", s.Model.Namespaces[0].Pods[0].Labels, labels("team", "blue"))

	// Nine levels of ten-fold aliases would expand to a billion nodes.
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		ref := "*a" + string(rune('0'+i-1))
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat(ref+", ", 9) + ref + "]\n")
	}
	// IntOrString decodes through plain values, the one path that expands aliases without a type to stop it.
	b.WriteString("steps: [{name: s, actions: [{apply: {spec: {ingress: [{ports: [{port: *a8}]}]}}}]}]\n")
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "document is too large: more than 200000 nodes after expanding aliases") {
		t.Errorf("error = %v, want the node budget to stop the expansion", err)
	}
}

func TestDecodeKubernetesTypes(t *testing.T) {
	doc := `
apiVersion: v1
kind: Pod
metadata:
  name: web
  creationTimestamp: 2024-05-01T10:00:00Z
spec:
  containers:
    - name: c
      image: nginx
      resources: {limits: {cpu: 500m, memory: 1Gi}}
      ports: [{containerPort: 80, protocol: UDP}]
`
	docs, err := readDocuments("pod.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var pod corev1.Pod
	_, errs := decodeNode(docs[0], &pod)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	c := pod.Spec.Containers[0]
	got := []string{pod.CreationTimestamp.UTC().Format("2006-01-02T15:04:05Z"), c.Resources.Limits.Cpu().String(), c.Resources.Limits.Memory().String(), string(c.Ports[0].Protocol)}
	equalJSON(t, "decoded", got, []string{"2024-05-01T10:00:00Z", "500m", "1Gi", "UDP"})

	bad, _ := readDocuments("pod.yaml", []byte("spec: {containers: [{name: c, resources: {limits: {cpu: lots}}}]}\n"))
	_, errs = decodeNode(bad[0], &pod)
	want := `line 1: spec.containers[0].resources.limits.cpu: invalid value "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`
	if errs.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", errs, want)
	}
}

// decodeSample has a field of every kind the decoder supports.
type decodeSample struct {
	*DecodeEmbedded `json:",inline"`
	*hiddenEmbedded
	Flag   bool              `json:"flag"`
	Small  uint8             `json:"small"`
	Ratio  float64           `json:"ratio"`
	Any    any               `json:"any"`
	Raw    []byte            `json:"raw"`
	Hidden string            `json:"-"`
	Plain  string            // no tag: the Go name
	Names  map[string]string `json:"names"`
}

// DecodeEmbedded is exported so that the decoder can allocate it; its fields are promoted.
type DecodeEmbedded struct {
	Inner string `json:"inner"`
}

// hiddenEmbedded cannot be allocated by reflection, so its fields are not promoted.
type hiddenEmbedded struct {
	Secret string `json:"secret"`
}

func decodeSampleDoc(t *testing.T, doc string) (decodeSample, string) {
	t.Helper()
	docs, err := readDocuments("d.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var out decodeSample
	_, errs := decodeNode(docs[0], &out)
	return out, errs.Error()
}

func TestDecodeEveryKind(t *testing.T) {
	got, msg := decodeSampleDoc(t, "inner: in\nflag: true\nsmall: 0x10\nratio: 2\nany: {a: [1, x]}\nraw: aGk=\nPlain: p\nnames: {k: v}\n")
	if msg != "" {
		t.Fatal(msg)
	}
	equalJSON(t, "decoded", []any{got.Inner, got.Flag, got.Small, got.Ratio, got.Any, string(got.Raw), got.Plain, got.Names},
		[]any{"in", true, uint8(16), 2.0, map[string]any{"a": []any{1, "x"}}, "hi", "p", map[string]string{"k": "v"}})

	tests := []struct{ doc, want string }{
		{"flag: yes please", `line 1: flag: must be true or false, not "yes please"`},
		{"small: -1", `line 1: small: must be a non-negative integer, not "-1"`},
		{"small: 256", "line 1: small: 256 is out of range for a 8-bit integer"},
		{"ratio: fast", `line 1: ratio: must be a number, not "fast"`},
		{"raw: '!!'", "line 1: raw: must be base64: illegal base64 data at input byte 0"},
		{"Hidden: x", `line 1: unknown field "Hidden"`},
		{"secret: x", `line 1: unknown field "secret"`},
		{"names: [a]", "line 1: names: must be a mapping, not a list"},
		{"any: &a [*a]", "line 1: any[0][0]: alias *a refers to a node that contains it"},
	}
	for _, tc := range tests {
		if _, msg := decodeSampleDoc(t, tc.doc); msg != tc.want {
			t.Errorf("%q:\n got: %s\nwant: %s", tc.doc, msg, tc.want)
		}
	}
}
