package scenarios

import "strings"

// sourceMap takes errors found in a Scenario back to the documents it was
// decoded from. A scenario file maps one to one; a scenario made of manifests
// maps each model entry and action to the manifest it came from, whose field
// names differ (a pod's "ip" is a manifest's "status.podIP").
type sourceMap struct {
	entries []sourceEntry
}

// sourceEntry says that scenario paths under prefix come from docPrefix in a document of file.
type sourceEntry struct {
	prefix    string
	file      string
	docPrefix string
	lines     map[string]int
}

func (m *sourceMap) add(prefix, file, docPrefix string, lines map[string]int) {
	m.entries = append(m.entries, sourceEntry{prefix: prefix, file: file, docPrefix: docPrefix, lines: lines})
}

// locate rewrites an error's file, field and line to the document coordinates.
// Errors that no entry covers keep their field and get fallbackFile.
func (m *sourceMap) locate(e *InputError, fallbackFile string) {
	path := e.Field
	if e.at != "" {
		path = e.at
	}
	entry, ok := m.find(path)
	if !ok {
		if e.File == "" {
			e.File = fallbackFile
		}
		return
	}
	e.File = entry.file
	e.Line = lineOf(entry.lines, entry.translate(path))
	e.Field = entry.translate(e.Field)
	e.at = ""
}

// find returns the entry with the longest prefix covering path.
func (m *sourceMap) find(path string) (sourceEntry, bool) {
	best, found := sourceEntry{}, false
	for _, en := range m.entries {
		if covers(en.prefix, path) && (!found || len(en.prefix) > len(best.prefix)) {
			best, found = en, true
		}
	}
	return best, found
}

func (en sourceEntry) translate(path string) string {
	if !covers(en.prefix, path) {
		return path
	}
	rest := strings.TrimPrefix(path[len(en.prefix):], ".")
	return joinPath(en.docPrefix, rest)
}

// covers tells whether path is prefix or lies under it.
func covers(prefix, path string) bool {
	if prefix == "" || path == prefix {
		return true
	}
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	next := path[len(prefix)]
	return next == '.' || next == '['
}

// lineOf finds the line of path, or of its nearest ancestor that has one: a
// missing field is reported where its parent is.
func lineOf(lines map[string]int, path string) int {
	for {
		if line, ok := lines[path]; ok {
			return line
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

// parentPath drops the last ".name" or "[i]" of a path.
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
