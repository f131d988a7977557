package probes

import "strconv"

// ConnectArgs returns the arguments of cmd/probe that re-run one job by hand,
// "connect --to HOST --port N --protocol P ...", for reports to print beside a
// wrong cell. Fields left at their zero value are left out.
func ConnectArgs(job Job) []string {
	args := []string{"connect", "--to", job.Host, "--port", strconv.Itoa(int(job.Port))}
	if job.Protocol != "" {
		args = append(args, "--protocol", job.Protocol)
	}
	if job.From != "" {
		args = append(args, "--from", job.From)
	}
	if job.Expect != "" {
		args = append(args, "--expect", job.Expect)
	}
	if job.Timeout != 0 {
		args = append(args, "--timeout", job.Timeout.String())
	}
	return args
}
