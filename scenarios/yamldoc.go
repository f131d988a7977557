package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// readDocuments splits a YAML (or JSON) stream into the root nodes of its
// non-empty documents. A syntax error is an InputError carrying its line.
func readDocuments(file string, data []byte) (docs []*yaml.Node, err error) {
	defer func() {
		// The YAML parser is not ours; whatever it does on hostile input must
		// still reach the user as bad input, never as a crash.
		if r := recover(); r != nil {
			docs, err = nil, &InputError{File: file, Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, syntaxError(file, err)
		}
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue
		}
		docs = append(docs, doc.Content[0])
	}
}

var yamlLineMessage = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the messages of yaml.v3's parser stage (as opposed to its
// scanner), whose line numbers it reports 0-based: "[1, 2" on line 2 is
// reported as line 1. The scanner's are already 1-based.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// syntaxError turns the parser's "yaml: line 3: ..." into file, line and message.
func syntaxError(file string, err error) *InputError {
	msg := err.Error()
	if m := yamlLineMessage.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if parserProblems[m[2]] {
			line++
		}
		return &InputError{File: file, Line: line, Msg: "YAML syntax error: " + m[2]}
	}
	return &InputError{File: file, Msg: "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")}
}

// mappingValue returns the scalar value of a top-level key of a mapping node.
func mappingValue(n *yaml.Node, key string) (string, bool) {
	if n.Kind != yaml.MappingNode {
		return "", false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			if v := n.Content[i+1]; v.Kind == yaml.ScalarNode {
				return v.Value, true
			}
			return "", true
		}
	}
	return "", false
}

// mappingNode returns the value node of key in a mapping.
func mappingNode(n *yaml.Node, key string) (*yaml.Node, bool) {
	if n.Kind != yaml.MappingNode {
		return nil, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return n.Content[i+1], true
		}
	}
	return nil, false
}

// isManifest tells a Kubernetes manifest (apiVersion and kind) from a scenario document.
func isManifest(n *yaml.Node) bool {
	_, hasAPIVersion := mappingValue(n, "apiVersion")
	_, hasKind := mappingValue(n, "kind")
	return hasAPIVersion && hasKind
}
