package backends

import (
	"testing"

	"github.com/netpolcheck/netpolcheck/clusters/local"
)

func TestLocalRefusesUnknownEnforcers(t *testing.T) {
	for _, e := range []string{EnforcerReference, EnforcerNone} {
		if err := CheckEnforcer(e); err != nil {
			t.Errorf("CheckEnforcer(%s) = %v", e, err)
		}
	}
	want := `--enforcer "cilium": not one of reference, none`
	if err := CheckEnforcer("cilium"); err == nil || err.Error() != want {
		t.Errorf("CheckEnforcer(cilium) = %v; want %s", err, want)
	}
	// Refused before anything is made: no registry, no namespace.
	if b, err := Local("cilium", local.Options{}); err == nil || b != nil || err.Error() != want {
		t.Errorf("Local(cilium) = %v, %v; want nil and %s", b, err, want)
	}
}
