package scenarios

import (
	"encoding/json"
	"fmt"
	"reflect"

	yaml "go.yaml.in/yaml/v3"
)

// decodeViaJSON hands a subtree to a type's own UnmarshalJSON (IntOrString,
// Quantity, Time): those types define their wire form in JSON terms.
func (d *nodeDecoder) decodeViaJSON(n *yaml.Node, path string, v reflect.Value) {
	val, ok := d.plain(n, path)
	if !ok {
		return
	}
	data, err := json.Marshal(val)
	if err == nil {
		err = v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(data)
	}
	if err != nil {
		d.fail(n, path, "invalid value %s: %v", describe(n), err)
	}
}

// plain converts a subtree into JSON-compatible Go values.
func (d *nodeDecoder) plain(n *yaml.Node, path string) (any, bool) {
	if !d.spend(n, path) {
		return nil, false
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil || d.expanding[n.Alias] {
			d.fail(n, path, "alias *%s refers to a node that contains it", n.Value)
			return nil, false
		}
		d.expanding[n.Alias] = true
		defer delete(d.expanding, n.Alias)
		return d.plain(n.Alias, path)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			val, ok := d.plain(item, indexPath(path, i))
			if !ok {
				return nil, false
			}
			out = append(out, val)
		}
		return out, true
	case yaml.MappingNode:
		out := map[string]any{}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			name, ok := d.key(n.Content[i], path, seen)
			if !ok {
				return nil, false
			}
			val, ok := d.plain(n.Content[i+1], joinPath(path, name))
			if !ok {
				return nil, false
			}
			out[name] = val
		}
		return out, true
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, true
		case "!!bool", "!!int", "!!float":
			var val any
			if err := n.Decode(&val); err != nil {
				d.fail(n, path, "invalid value %s: %v", describe(n), err)
				return nil, false
			}
			return val, true
		default:
			return n.Value, true
		}
	}
	d.fail(n, path, "unexpected YAML node")
	return nil, false
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node holds, for "must be X, not Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "an empty document"
}
