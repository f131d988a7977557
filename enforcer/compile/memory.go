package compile

// ruleMemory is what a Compiler keeps of the rule stage between compiles:
// which policies each kind of endpoint matched, and the rule sets laid out
// for each selection. Both are keyed by policy serials, which name one
// compiled policy for the Compiler's life, so an entry never goes stale;
// it is only forgotten once a whole compile has not used it.
type ruleMemory struct {
	layouts generations[string, [2]*layout]
	matches generations[string, match]
}

// match is the policies of a namespace that select one kind: positions in
// the namespace's policy list, valid while the list has the same
// signature, and the selection key they make.
type match struct {
	signature string
	positions []int
	key       string
}

// rotate starts the next compile.
func (m *ruleMemory) rotate() {
	m.layouts.rotate()
	m.matches.rotate()
}

// generations is a map that forgets what one whole compile did not use:
// the last compile's entries stay until the end of this one, and those
// this one asks for move on with it.
type generations[K comparable, V any] struct {
	now, before map[K]V
}

func (g *generations[K, V]) get(k K) (V, bool) {
	if v, ok := g.now[k]; ok {
		return v, true
	}
	v, ok := g.before[k]
	if ok {
		g.put(k, v)
	}
	return v, ok
}

func (g *generations[K, V]) put(k K, v V) {
	if g.now == nil {
		g.now = map[K]V{}
	}
	g.now[k] = v
}

// rotate reuses the storage of the map it forgets: the entries of two
// compiles of the same cluster are mostly the same.
func (g *generations[K, V]) rotate() {
	g.before, g.now = g.now, g.before
	clear(g.now)
}
