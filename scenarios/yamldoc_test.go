package scenarios

import "testing"

// yaml.v3 reports parser-stage errors 0-based and scanner-stage errors
// 1-based; every case here must name the line a reader would look at.
func TestSyntaxErrorLines(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"a: 1\nb:\n  c: {d: e\nf: g\n", `s.yaml:3: YAML syntax error: did not find expected ',' or '}'`},
		{"a: 1\nb: [1, 2\nc: 3\n", `s.yaml:2: YAML syntax error: did not find expected ',' or ']'`},
		{"a: 1\nb: c: d\n", `s.yaml:2: YAML syntax error: mapping values are not allowed in this context`},
		{"a: 1\n\tb: 2\n", `s.yaml:2: YAML syntax error: found a tab character that violates indentation`},
		{"a: 1\nb:\n  - x\n - y\n", `s.yaml:4: YAML syntax error: did not find expected key`},
		{"- a\nb: c\n", `s.yaml:2: YAML syntax error: did not find expected '-' indicator`},
		{"a: *nope\n", `s.yaml: YAML syntax error: unknown anchor 'nope' referenced`},
	}
	for _, tc := range tests {
		_, err := readDocuments("s.yaml", []byte(tc.doc))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got: %v\nwant: %s", tc.doc, err, tc.want)
		}
	}
}

func TestReadDocumentsSkipsEmptyOnes(t *testing.T) {
	docs, err := readDocuments("s.yaml", []byte("---\n# only a comment\n---\na: 1\n---\n---\nb: 2\n...\n"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, d := range docs {
		lines = append(lines, d.Line)
	}
	equalJSON(t, "document lines", lines, []int{4, 7})
}
