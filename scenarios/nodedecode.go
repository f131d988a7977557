package scenarios

import (
	"encoding/json"
	"fmt"
	"reflect"

	yaml "go.yaml.in/yaml/v3"
)

// nodeBudget bounds how many nodes one document may expand to, so that a
// small file of nested aliases cannot make the loader run out of memory.
const nodeBudget = 200000

// nodeDecoder decodes a yaml.v3 node tree into Go values by the json tags of
// their types, strictly: unknown and duplicate keys and wrongly typed scalars are
// errors. It walks the nodes itself, rather than converting to JSON first, so
// that every error and every field path keeps its line.
type nodeDecoder struct {
	lines  map[string]int
	errs   Errors
	budget int
	// expanding holds the anchors whose alias is being decoded, to refuse cycles.
	expanding map[*yaml.Node]bool
}

// decodeNode decodes n into out (a pointer) and returns the line of every field path it saw.
func decodeNode(n *yaml.Node, out any) (map[string]int, Errors) {
	d := &nodeDecoder{lines: map[string]int{}, budget: nodeBudget, expanding: map[*yaml.Node]bool{}}
	d.decode(n, "", reflect.ValueOf(out).Elem())
	return d.lines, d.errs
}

func (d *nodeDecoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &InputError{Line: n.Line, Field: path, Msg: fmt.Sprintf(format, args...)})
}

// spend takes one node from the budget and reports exhaustion once.
func (d *nodeDecoder) spend(n *yaml.Node, path string) bool {
	d.budget--
	if d.budget == 0 {
		d.fail(n, path, "document is too large: more than %d nodes after expanding aliases", nodeBudget)
	}
	return d.budget > 0
}

var jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()

func (d *nodeDecoder) decode(n *yaml.Node, path string, v reflect.Value) {
	if !d.spend(n, path) {
		return
	}
	if _, seen := d.lines[path]; !seen {
		d.lines[path] = n.Line
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			d.decode(n.Content[0], path, v)
		}
		return
	case yaml.AliasNode:
		if n.Alias == nil || d.expanding[n.Alias] {
			d.fail(n, path, "alias *%s refers to a node that contains it", n.Value)
			return
		}
		d.expanding[n.Alias] = true
		d.decode(n.Alias, path, v)
		delete(d.expanding, n.Alias)
		return
	}
	if isNull(n) {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	if v.Kind() == reflect.Pointer {
		elem := reflect.New(v.Type().Elem())
		d.decode(n, path, elem.Elem())
		v.Set(elem)
		return
	}
	if v.Type() == clusterPolicyType {
		d.decodeClusterPolicy(n, path, v)
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(jsonUnmarshalerType) {
		d.decodeViaJSON(n, path, v)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, path, v)
	case reflect.Map:
		d.decodeMap(n, path, v)
	case reflect.Slice:
		d.decodeSlice(n, path, v)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "must be a string, not %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.fail(n, path, "must be true or false, not %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.fail(n, path, "must be an integer, not %s", describe(n))
			return
		}
		if v.OverflowInt(i) {
			d.fail(n, path, "%s is out of range for a %d-bit integer", n.Value, v.Type().Bits())
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var u uint64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&u) != nil {
			d.fail(n, path, "must be a non-negative integer, not %s", describe(n))
			return
		}
		if v.OverflowUint(u) {
			d.fail(n, path, "%s is out of range for a %d-bit integer", n.Value, v.Type().Bits())
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		var f float64
		tag := n.ShortTag()
		if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil {
			d.fail(n, path, "must be a number, not %s", describe(n))
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		if v.NumMethod() != 0 {
			d.fail(n, path, "cannot be decoded (field of type %s)", v.Type())
			return
		}
		val, ok := d.plain(n, path)
		if ok && val != nil {
			v.Set(reflect.ValueOf(val))
		}
	default:
		d.fail(n, path, "cannot be decoded (field of type %s)", v.Type())
	}
}
