package clusters

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// ValidateRunID checks a run ID, the <run> in every name a backend gives
// what it creates (network namespaces, Kubernetes namespaces, pin
// directories): 1 to 12 lower-case letters or digits, so that it is safe in
// file names and parses back from a name up to its first dash.
func ValidateRunID(id string) error {
	if len(id) == 0 || len(id) > 12 {
		return fmt.Errorf("run ID %q must have 1 to 12 characters", id)
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return fmt.Errorf("run ID %q may hold only lower-case letters and digits", id)
		}
	}
	return nil
}

// RandomRunID returns six random hex characters: 16 million IDs, so that a
// backend stepping over a taken one needs few tries.
func RandomRunID() (string, error) {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random run ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}
