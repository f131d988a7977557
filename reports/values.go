package reports

// The strings a Cell carries. Results keeps them as plain strings so that
// results.json reads naturally; these names keep the renderers from spelling
// them out again.
const (
	modeSimulate = "simulate"
	modeRun      = "run"

	outcomeAllowed = "allowed"
	outcomeBlocked = "blocked"
	outcomeError   = "error"
	outcomeSkipped = "skipped"

	defaultProtocol = "TCP"
)

// The one-character glyphs of a grid. The first two are upstream's.
const (
	glyphAllowed  = "."
	glyphBlocked  = "X"
	glyphMatch    = "."
	glyphMismatch = "X"
	glyphError    = "E"
	glyphSkipped  = "S"
	glyphMissing  = "?"
	glyphIgnored  = "-"
	// glyphUndefined marks a cell whose verdict the API leaves open.
	glyphUndefined = "U"
)

// outcomeGlyph is the glyph of an oracle verdict or a probe outcome.
func outcomeGlyph(outcome string) string {
	switch outcome {
	case outcomeAllowed:
		return glyphAllowed
	case outcomeBlocked:
		return glyphBlocked
	case outcomeError:
		return glyphError
	case outcomeSkipped:
		return glyphSkipped
	case Undefined:
		return glyphUndefined
	}
	return glyphMissing
}

// verdictGlyph is the comparison-grid glyph of a run cell's verdict.
func verdictGlyph(verdict string) string {
	switch Status(verdict) {
	case Pass:
		return glyphMatch
	case Fail:
		return glyphMismatch
	case Error:
		return glyphError
	case Skipped:
		return glyphSkipped
	}
	switch verdict {
	case Ignored:
		return glyphIgnored
	case Undefined:
		return glyphUndefined
	}
	return glyphMissing
}
