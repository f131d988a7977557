package scenarios

import (
	"encoding/base64"
	"reflect"

	yaml "go.yaml.in/yaml/v3"
)

var actionType = reflect.TypeFor[Action]()

func (d *nodeDecoder) decodeStruct(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping, not %s", describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		name, ok := d.key(key, path, seen)
		if !ok {
			continue
		}
		child := joinPath(path, name)
		index, known := fields[name]
		if v.Type() == actionType {
			if field, ok := clusterAction(name, val); ok {
				f, _ := v.Type().FieldByName(field)
				index, known = f.Index, true
				d.errs = append(d.errs, checkClusterPolicyNode(val, child)...)
			}
		}
		if !known {
			d.fail(key, path, "unknown field %q%s", name, suggestField(fields, name))
			continue
		}
		d.lines[child] = key.Line
		d.decode(val, child, fieldByIndexAlloc(v, index))
	}
}

func (d *nodeDecoder) decodeMap(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "must be a mapping, not %s", describe(n))
		return
	}
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.fail(n, path, "cannot be decoded (map keyed by %s)", t.Key())
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		name, ok := d.key(key, path, seen)
		if !ok {
			continue
		}
		child := joinPath(path, name)
		d.lines[child] = key.Line
		elem := reflect.New(t.Elem()).Elem()
		d.decode(val, child, elem)
		v.SetMapIndex(reflect.ValueOf(name).Convert(t.Key()), elem)
	}
}

// key reads a mapping key, refusing non-scalar, merge and duplicate keys.
func (d *nodeDecoder) key(key *yaml.Node, path string, seen map[string]int) (string, bool) {
	if key.Kind == yaml.AliasNode && key.Alias != nil {
		key = key.Alias
	}
	if key.Kind != yaml.ScalarNode {
		d.fail(key, path, "mapping keys must be strings, not %s", describe(key))
		return "", false
	}
	if key.ShortTag() == "!!merge" {
		d.fail(key, path, "merge keys (<<) are not supported")
		return "", false
	}
	if first, dup := seen[key.Value]; dup {
		d.fail(key, path, "duplicate key %q (first at line %d)", key.Value, first)
		return "", false
	}
	seen[key.Value] = key.Line
	return key.Value, true
}

func (d *nodeDecoder) decodeSlice(n *yaml.Node, path string, v reflect.Value) {
	if v.Type().Elem().Kind() == reflect.Uint8 && n.Kind == yaml.ScalarNode {
		b, err := base64.StdEncoding.DecodeString(n.Value)
		if err != nil {
			d.fail(n, path, "must be base64: %v", err)
			return
		}
		v.SetBytes(b)
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "must be a list, not %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, indexPath(path, i), s.Index(i))
	}
	v.Set(s)
}
