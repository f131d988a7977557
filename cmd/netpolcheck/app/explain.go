package app

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netpolcheck/netpolcheck/scenarios"
	"github.com/netpolcheck/netpolcheck/scenarios/truth"
)

type explainFlags struct {
	selectionFlags
	from, to, port, step string
}

func newExplainCommand(s streams) *cobra.Command {
	f := &explainFlags{}
	cmd := &cobra.Command{
		Use:   "explain --from ns/pod --to ns/pod|host --port 80/TCP [-f FILE]",
		Short: "Say why one cell is allowed or blocked: which policies isolate each side and which rule allowed it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.from == "" || f.to == "" || f.port == "" {
				return badInput("--from, --to and --port are required")
			}
			port, proto, err := parsePortFlag(f.port)
			if err != nil {
				return err
			}
			scns, err := f.load(s.Err)
			if err != nil {
				return err
			}
			if len(scns) != 1 {
				return badInput("explain needs exactly one scenario, %d are selected: narrow it with --focus", len(scns))
			}
			w, stepName, err := worldAfter(scns[0], f.step)
			if err != nil {
				return err
			}
			e, err := truth.Explain(w, f.from, f.to, port, proto)
			if err != nil {
				return badInput("%v", err)
			}
			fmt.Fprintf(s.Out, "scenario %s, after step %q\n", scns[0].Name, stepName)
			writeExplanation(s, f.from, f.to, f.port, e)
			return nil
		},
	}
	f.selectionFlags.bind(cmd.Flags())
	cmd.Flags().StringVar(&f.from, "from", "", "source: ns/pod or an external host's name")
	cmd.Flags().StringVar(&f.to, "to", "", "destination: ns/pod or an external host's name")
	cmd.Flags().StringVar(&f.port, "port", "", "destination port and protocol, e.g. 80/TCP, 53/UDP (TCP when omitted)")
	cmd.Flags().StringVar(&f.step, "step", "", "explain the world after this step (name or 1-based index); the last step by default")
	return cmd
}

// parsePortFlag reads "80/TCP", "53/udp" or "80".
func parsePortFlag(s string) (int32, scenarios.Protocol, error) {
	num, proto, found := strings.Cut(s, "/")
	p := scenarios.TCP
	if found {
		p = scenarios.Protocol(strings.ToUpper(proto))
		if p != scenarios.TCP && p != scenarios.UDP && p != scenarios.SCTP {
			return 0, "", badInput("--port %q: protocol must be TCP, UDP or SCTP", s)
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > 65535 {
		return 0, "", badInput("--port %q: port must be a number from 1 to 65535", s)
	}
	return int32(n), p, nil
}

// worldAfter simulates the scenario up to the named step (the last by default).
func worldAfter(s *scenarios.Scenario, step string) (*scenarios.World, string, error) {
	last := len(s.Steps) - 1
	if step != "" {
		last = -1
		for i, st := range s.Steps {
			if st.Name == step || strconv.Itoa(i+1) == step {
				last = i
			}
		}
		if last < 0 {
			return nil, "", badInput("--step %q: scenario %s has no such step", step, s.Name)
		}
	}
	st, err := scenarios.NewState(s)
	if err != nil {
		return nil, "", err
	}
	for i := 0; i <= last; i++ {
		for _, a := range s.Steps[i].Actions {
			c, err := st.Resolve(a)
			if err != nil {
				return nil, "", err
			}
			if err := st.Commit(c); err != nil {
				return nil, "", err
			}
		}
	}
	return st.World(), s.Steps[last].Name, nil
}

func writeExplanation(s streams, from, to, port string, e truth.Explanation) {
	verdict := "BLOCKED"
	switch {
	case e.Undefined:
		verdict = "UNDEFINED (ClusterNetworkPolicies of equal priority decide it differently; the API leaves their order open)"
	case e.Allowed:
		verdict = "ALLOWED"
	}
	fmt.Fprintf(s.Out, "%s -> %s on %s: %s\n", from, to, port, verdict)
	if e.Loopback {
		fmt.Fprintln(s.Out, "  (loopback: traffic from a pod to itself; upstream ignores this cell, and ClusterNetworkPolicy does not govern it)")
	}
	writeSide(s, "egress of "+from, e.Egress)
	writeSide(s, "ingress of "+to, e.Ingress)
}

func writeSide(s streams, what string, side truth.Side) {
	if side.Tiers != nil {
		// The tier path: Admin, then NetworkPolicy, then Baseline, then the default.
		fmt.Fprintf(s.Out, "  %s\n", side.String(what))
		return
	}
	switch {
	case !side.Applies:
		fmt.Fprintf(s.Out, "  %s: not a pod, no policy applies\n", what)
	case !side.Isolated:
		fmt.Fprintf(s.Out, "  %s: allowed, no policy isolates it\n", what)
	case side.AllowedBy != nil:
		r := side.AllowedBy
		fmt.Fprintf(s.Out, "  %s: isolated by %s; allowed by %s %s rule %d%s%s\n", what,
			strings.Join(side.IsolatedBy, ", "), r.Policy, r.Direction, r.Rule, index(" peer", r.Peer), index(" port", r.Port))
	default:
		fmt.Fprintf(s.Out, "  %s: isolated by %s; no rule allows it\n", what, strings.Join(side.IsolatedBy, ", "))
	}
}

func index(label string, i int) string {
	if i < 0 {
		return ""
	}
	return label + " " + strconv.Itoa(i)
}
