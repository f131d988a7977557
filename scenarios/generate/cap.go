package generate

// withinCap tells whether the full profile keeps a valid combo. The raw
// product is 21,600 combinations, 7,950 of them valid, 13,902 steps: hours
// on a real cluster. Protocols and step kinds multiply each other without
// meeting in the code under test (a change is applied the same way whatever
// protocol its rule names), so UDP and SCTP are crossed with every other
// dimension on the create step only, and step kinds with every other
// dimension on TCP. The pairs in between (udp with update, sctp with delete,
// ...) still come in through the quick profile, which full contains.
func withinCap(c combo) bool {
	return c.protocol == ProtocolTCP || c.step == StepCreate
}
