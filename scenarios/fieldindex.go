package scenarios

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// fieldIndexes caches, per struct type, each json name's field index path.
var fieldIndexes sync.Map

// fieldsOf maps the json names of a struct's fields, with the fields of
// embedded (inline) structs promoted as encoding/json does.
func fieldsOf(t reflect.Type) map[string][]int {
	if cached, ok := fieldIndexes.Load(t); ok {
		return cached.(map[string][]int)
	}
	out := map[string][]int{}
	var embedded []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			// A nil pointer to an unexported struct cannot be allocated
			// through reflection; encoding/json cannot fill it either.
			if f.IsExported() || f.Type.Kind() != reflect.Pointer {
				embedded = append(embedded, f)
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = []int{i}
	}
	// Promoted fields lose to the outer struct's own fields of the same name.
	for _, f := range embedded {
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		for name, index := range fieldsOf(ft) {
			if _, taken := out[name]; !taken {
				out[name] = append([]int{f.Index[0]}, index...)
			}
		}
	}
	fieldIndexes.Store(t, out)
	return out
}

// fieldByIndexAlloc is reflect.Value.FieldByIndex that allocates nil embedded pointers.
func fieldByIndexAlloc(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// suggestField hints at the right spelling when a key differs only in case.
func suggestField(fields map[string][]int, name string) string {
	for known := range fields {
		if strings.EqualFold(known, name) {
			return fmt.Sprintf(" (did you mean %q?)", known)
		}
	}
	return ""
}
