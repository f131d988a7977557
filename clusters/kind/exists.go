package kind

import "fmt"

// Exists tells whether a kind cluster of that name has nodes, so that a
// caller can reuse a cluster made earlier (Get) instead of making one (Up).
func (p *Provider) Exists(name string) (bool, error) {
	nodes, err := p.kind.ListNodes(name)
	if err != nil {
		return false, fmt.Errorf("kind cluster %s: %w", name, err)
	}
	return len(nodes) > 0, nil
}
