package generate

import (
	"testing"
)

// TestPruningByBruteForce re-checks pruning with none of its code: every
// valid combination is simulated through
// the scenarios API and compared, fingerprint against fingerprint, with the
// kept cases of the same library tags. A dropped case must have a kept
// look-alike; two kept cases must never be look-alikes.
func TestPruningByBruteForce(t *testing.T) {
	full := profileCases(t, Full)
	kept := map[string]bool{}
	keptPrints := map[string]string{} // library tags + fingerprint -> kept case
	for _, s := range full {
		kept[s.Name] = true
		tables, err := walk(s)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		key := libraryTags(s) + "#" + fingerprint(tables)
		if other, dup := keptPrints[key]; dup {
			t.Errorf("kept cases %s and %s have the same tags and truth tables", other, s.Name)
		}
		keptPrints[key] = s.Name
	}
	var dropped []string
	for _, c := range validCombos() {
		s := newCase(c)
		if kept[s.Name] {
			continue
		}
		dropped = append(dropped, s.Name)
		tables, err := walk(s)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if _, ok := keptPrints[libraryTags(s)+"#"+fingerprint(tables)]; !ok {
			t.Errorf("pruning dropped %s, whose truth tables differ from every kept case with its tags", s.Name)
		}
	}
	// The six look-alikes: a rule that admits everyone on every port makes
	// the choice between all pods and pod=a invisible.
	want := []string{
		"gen-ingress-podsel-anyone-allns-anyport-tcp-create",
		"gen-ingress-podsel-anyone-allns-anyport-tcp-delete",
		"gen-egress-podsel-anyone-allns-anyport-tcp-create",
		"gen-egress-podsel-anyone-allns-anyport-tcp-delete",
		"gen-both-podsel-anyone-allns-anyport-tcp-create",
		"gen-both-podsel-anyone-allns-anyport-tcp-delete",
	}
	if len(dropped) != len(want) {
		t.Fatalf("dropped %v, want %v", dropped, want)
	}
	for i := range want {
		if dropped[i] != want[i] {
			t.Errorf("dropped[%d] = %s, want %s", i, dropped[i], want[i])
		}
	}
}

// TestQuickHasNoLookAlikes: the quick profile refuses a combo that pruning
// would drop, so no two of its cases share tags and truth tables.
func TestQuickHasNoLookAlikes(t *testing.T) {
	seen := map[string]string{}
	for _, s := range profileCases(t, Quick) {
		tables, err := walk(s)
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		key := libraryTags(s) + "#" + fingerprint(tables)
		if other, dup := seen[key]; dup {
			t.Errorf("quick cases %s and %s have the same tags and truth tables", other, s.Name)
		}
		seen[key] = s.Name
	}
}
