package truth

import (
	"fmt"
	"strings"
)

// String renders the explanation on one line, e.g. "blocked: egress from x/a
// allowed (not isolated); ingress to y/b isolated by y/deny-all, y/allow-80,
// no rule matches".
func (e Explanation) String() string {
	return e.verdictWord() + ": " + e.Egress.describe("egress from", e.from) + "; " + e.Ingress.describe("ingress to", e.to)
}

func (e Explanation) verdictWord() string {
	switch {
	case e.Undefined:
		return "undefined"
	case e.Allowed && e.Loopback:
		return "allowed (loopback)"
	case e.Allowed:
		return "allowed"
	case e.Loopback:
		return "blocked (loopback)"
	}
	return "blocked"
}

func (s Side) describe(direction, who string) string {
	subject := direction
	if who != "" {
		subject += " " + who
	}
	if s.Tiers != nil {
		return s.describeTiers(subject)
	}
	switch {
	case !s.Applies:
		return subject + " unrestricted (external host)"
	case !s.Isolated:
		return subject + " allowed (not isolated)"
	}
	isolated := subject + " isolated by " + strings.Join(s.IsolatedBy, ", ")
	if s.AllowedBy == nil {
		return isolated + ", no rule matches"
	}
	return isolated + ", allowed by " + s.AllowedBy.String()
}

// String renders the reference as "ns/name ingress rule 0, peer 1, port 0",
// with "any peer" or "any port" where the rule lists none.
func (r RuleRef) String() string {
	peer, port := "any peer", "any port"
	if r.Peer >= 0 {
		peer = fmt.Sprintf("peer %d", r.Peer)
	}
	if r.Port >= 0 {
		port = fmt.Sprintf("port %d", r.Port)
	}
	return fmt.Sprintf("%s %s rule %d, %s, %s", r.Policy, r.Direction, r.Rule, peer, port)
}

// String renders one side with its subject, e.g. "egress of x/a: Admin
// cnp/deny prio 10 rule 0: Deny".
func (s Side) String(subject string) string { return s.describe(subject, "") }
