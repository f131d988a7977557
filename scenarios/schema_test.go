package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	npav1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// schemaKeywords are the JSON Schema keywords the small checker below
// understands; the schema may use no others, so nothing in it goes unchecked.
var schemaKeywords = map[string]bool{
	"$schema": true, "$id": true, "$ref": true, "$defs": true, "title": true, "description": true,
	"type": true, "enum": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "minItems": true, "maxItems": true, "minProperties": true, "maxProperties": true,
	"minLength": true, "pattern": true, "minimum": true, "maximum": true, "oneOf": true,
}

// jsonSchema checks JSON values against docs/scenario.schema.json.
type jsonSchema struct{ root map[string]any }

func loadSchema(t *testing.T) jsonSchema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", "scenario.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	return jsonSchema{root: root}
}

func (js jsonSchema) def(name string) map[string]any {
	return js.root["$defs"].(map[string]any)[name].(map[string]any)
}

func (js jsonSchema) validate(s map[string]any, v any, path string) []string {
	if ref, ok := s["$ref"].(string); ok {
		return js.validate(js.def(ref[len("#/$defs/"):]), v, path)
	}
	var out []string
	fail := func(format string, args ...any) { out = append(out, path+": "+fmt.Sprintf(format, args...)) }
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		fail("%v is not one of %v", v, enum)
	}
	if types, ok := s["type"]; ok {
		allowed := []any{types}
		if list, isList := types.([]any); isList {
			allowed = list
		}
		if !slices.ContainsFunc(allowed, func(t any) bool { return jsonType(v, t.(string)) }) {
			fail("%v is not of type %v", v, types)
			return out
		}
	}
	if oneOf, ok := s["oneOf"].([]any); ok {
		matches := 0
		for _, sub := range oneOf {
			if len(js.validate(sub.(map[string]any), v, path)) == 0 {
				matches++
			}
		}
		if matches != 1 {
			fail("matches %d of oneOf, want exactly 1", matches)
		}
	}
	switch val := v.(type) {
	case string:
		if n, ok := s["minLength"].(float64); ok && float64(len(val)) < n {
			fail("shorter than %v", n)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(val) {
			fail("%q does not match %s", val, p)
		}
	case float64:
		if n, ok := s["minimum"].(float64); ok && val < n {
			fail("%v is below %v", val, n)
		}
		if n, ok := s["maximum"].(float64); ok && val > n {
			fail("%v is above %v", val, n)
		}
	case []any:
		if n, ok := s["minItems"].(float64); ok && float64(len(val)) < n {
			fail("fewer than %v items", n)
		}
		if n, ok := s["maxItems"].(float64); ok && float64(len(val)) > n {
			fail("more than %v items", n)
		}
		if items, ok := s["items"].(map[string]any); ok {
			for i, item := range val {
				out = append(out, js.validate(items, item, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	case map[string]any:
		if n, ok := s["minProperties"].(float64); ok && float64(len(val)) < n {
			fail("fewer than %v properties", n)
		}
		if n, ok := s["maxProperties"].(float64); ok && float64(len(val)) > n {
			fail("more than %v properties", n)
		}
		required, _ := s["required"].([]any)
		for _, r := range required {
			if _, ok := val[r.(string)]; !ok {
				fail("missing required %q", r)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for _, k := range sortedKeys(val) {
			if sub, ok := props[k]; ok {
				out = append(out, js.validate(sub.(map[string]any), val[k], path+"."+k)...)
				continue
			}
			switch extra := s["additionalProperties"].(type) {
			case bool:
				if !extra {
					fail("unknown property %q", k)
				}
			case map[string]any:
				out = append(out, js.validate(extra, val[k], path+"."+k)...)
			}
		}
	}
	return out
}

func jsonType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "number":
		_, ok := v.(float64)
		return ok
	}
	return false
}

// jsonDocuments reads every non-manifest document of a file as JSON values.
func jsonDocuments(t *testing.T, file string, data []byte) []any {
	t.Helper()
	docs, err := readDocuments(file, data)
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	for _, d := range docs {
		if isManifest(d) {
			continue
		}
		dec := &nodeDecoder{lines: map[string]int{}, budget: nodeBudget, expanding: map[*yaml.Node]bool{}}
		plain, ok := dec.plain(d, "")
		if !ok {
			t.Fatalf("%s: %v", file, dec.errs)
		}
		raw, err := json.Marshal(plain)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestValidScenariosMatchSchema(t *testing.T) {
	js := loadSchema(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "valid", "*.*"))
	checked := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range jsonDocuments(t, file, data) {
			checked++
			if problems := js.validate(js.root, doc, "$"); len(problems) > 0 {
				t.Errorf("%s: %v", file, problems)
			}
		}
	}
	if checked != 4 {
		t.Errorf("checked %d scenario documents, want 4", checked)
	}
}

// TestLibraryMatchesSchema holds every built-in scenario, ClusterNetworkPolicy
// ones included, to the published schema.
func TestLibraryMatchesSchema(t *testing.T) {
	js := loadSchema(t)
	files, _ := filepath.Glob(filepath.Join("library", "*", "*.yaml"))
	clusterPolicies := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("kind: ClusterNetworkPolicy")) {
			clusterPolicies++
		}
		for _, doc := range jsonDocuments(t, file, data) {
			if problems := js.validate(js.root, doc, "$"); len(problems) > 0 {
				t.Errorf("%s: %v", file, problems)
			}
		}
	}
	if len(files) < 80 || clusterPolicies == 0 {
		t.Errorf("checked %d library files, %d with ClusterNetworkPolicies: the glob missed the library", len(files), clusterPolicies)
	}
}

func TestSchemaRefusesMalformedScenarios(t *testing.T) {
	js := loadSchema(t)
	tests := []struct{ name, doc, want string }{
		{"unknown key", "{name: a, steps: [{name: s}], colour: red}", `$: unknown property "colour"`},
		{"missing steps", "{name: a}", `$: missing required "steps"`},
		{"two action fields", "{name: a, steps: [{name: s, actions: [{deletePod: x/a, deleteNamespace: x}]}]}", "$.steps[0].actions[0]: more than 1 properties"},
		{"bad default", "{name: a, steps: [{name: s, expect: {default: maybe}}]}", "$.steps[0].expect.default: maybe is not one of [allow deny]"},
		{"rule with both sides", "{name: a, steps: [{name: s, expect: {default: deny, rules: [{allow: '*', deny: '*', to: '*'}]}}]}", "$.steps[0].expect.rules[0]: matches 2 of oneOf, want exactly 1"},
		{"port out of range", "{name: a, model: {defaultPorts: [{port: 70000}]}, steps: [{name: s}]}", "$.model.defaultPorts[0].port: 70000 is above 65535"},
		{"cluster policy without a tier", "{name: a, steps: [{name: s, actions: [{apply: {apiVersion: policy.networking.k8s.io/v1alpha2, kind: ClusterNetworkPolicy, metadata: {name: c}, spec: {priority: 1, subject: {namespaces: {}}}}}]}]}",
			"$.steps[0].actions[0].apply: matches 0 of oneOf, want exactly 1"},
		{"bad protocol", "{name: a, model: {defaultPorts: [{port: 80, protocol: ICMP}]}, steps: [{name: s}]}", "$.model.defaultPorts[0].protocol: ICMP is not one of [TCP UDP SCTP]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs := jsonDocuments(t, "t.yaml", []byte(tc.doc))
			got := js.validate(js.root, docs[0], "$")
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("got %q, want [%q]", got, tc.want)
			}
		})
	}
}

// TestSchemaFollowsTypes keeps the schema's properties equal to the Go
// types' json fields, so that a field added to scenario.go cannot be
// forgotten in the schema, and the schema uses only keywords checked here.
func TestSchemaFollowsTypes(t *testing.T) {
	js := loadSchema(t)
	action := js.def("action")["properties"].(map[string]any)
	spec := js.def("networkPolicy")["properties"].(map[string]any)["spec"].(map[string]any)
	tests := []struct {
		schema map[string]any
		goType any
	}{
		{js.def("scenario"), Scenario{}}, {js.def("model"), Model{}}, {js.def("namespace"), NamespaceSpec{}},
		{js.def("pod"), PodSpec{}}, {js.def("externalHost"), ExternalHost{}}, {js.def("port"), Port{}},
		{js.def("step"), Step{}}, {js.def("action"), Action{}}, {js.def("expectation"), Expectation{}},
		{js.def("rule"), ExpectRule{}}, {js.def("grid"), Grid{}},
		{action["setPodLabels"].(map[string]any), PodLabels{}}, {action["removePodLabels"].(map[string]any), PodLabelKeys{}},
		{action["setNamespaceLabels"].(map[string]any), NamespaceLabels{}}, {action["removeNamespaceLabels"].(map[string]any), NamespaceKeys{}},
		{action["createPod"].(map[string]any), CreatePod{}}, {action["createNamespace"].(map[string]any), NamespaceSpec{}},
		{js.def("networkPolicy"), networkingv1.NetworkPolicy{}}, {spec, networkingv1.NetworkPolicySpec{}},
		{js.def("peer"), networkingv1.NetworkPolicyPeer{}}, {js.def("policyPort"), networkingv1.NetworkPolicyPort{}},
		{js.def("labelSelector"), metav1.LabelSelector{}},
		{js.def("clusterNetworkPolicy"), npav1alpha2.ClusterNetworkPolicy{}},
		{js.def("clusterNetworkPolicy")["properties"].(map[string]any)["spec"].(map[string]any), npav1alpha2.ClusterNetworkPolicySpec{}},
		{js.def("clusterSubject"), npav1alpha2.ClusterNetworkPolicySubject{}},
		{js.def("clusterSubject"), npav1alpha2.ClusterNetworkPolicyIngressPeer{}},
		{js.def("clusterEgressPeer"), npav1alpha2.ClusterNetworkPolicyEgressPeer{}},
		{js.def("clusterProtocol"), npav1alpha2.ClusterNetworkPolicyProtocol{}},
	}
	for _, tc := range tests {
		props := tc.schema["properties"].(map[string]any)
		var fromSchema, fromType []string
		for k := range props {
			fromSchema = append(fromSchema, k)
		}
		for k := range fieldsOf(reflect.TypeOf(tc.goType)) {
			fromType = append(fromType, k)
		}
		sort.Strings(fromSchema)
		sort.Strings(fromType)
		if !slices.Equal(fromSchema, fromType) {
			t.Errorf("%T: schema has %v, type has %v", tc.goType, fromSchema, fromType)
		}
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch val := v.(type) {
		case map[string]any:
			for k, sub := range val {
				if !schemaKeywords[k] {
					t.Errorf("%s: keyword %q is not checked by this test", path, k)
				}
				switch k {
				case "properties", "$defs":
					for name, s := range sub.(map[string]any) {
						walk(s, path+"/"+k+"/"+name)
					}
				case "items", "additionalProperties":
					walk(sub, path+"/"+k)
				case "oneOf":
					for i, s := range sub.([]any) {
						walk(s, fmt.Sprintf("%s/oneOf/%d", path, i))
					}
				}
			}
		}
	}
	walk(js.root, "#")
}
