package reports

// The modes of a run as Results names them.
const (
	modeSimulate = "simulate"
	modeRun      = "run"

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
func outcomeGlyph(outcome Outcome) string {
	switch outcome {
	case OutcomeAllowed:
		return glyphAllowed
	case OutcomeBlocked:
		return glyphBlocked
	case OutcomeError:
		return glyphError
	case OutcomeSkipped:
		return glyphSkipped
	case OutcomeUndefined:
		return glyphUndefined
	}
	return glyphMissing
}

// verdictGlyph is the comparison-grid glyph of a run cell's verdict.
func verdictGlyph(verdict Status) string {
	switch verdict {
	case Pass:
		return glyphMatch
	case Fail:
		return glyphMismatch
	case Error:
		return glyphError
	case Skipped:
		return glyphSkipped
	case Ignored:
		return glyphIgnored
	case Undefined:
		return glyphUndefined
	}
	return glyphMissing
}
