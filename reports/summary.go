package reports

// Tally counts outcomes by status. An unknown status counts as errored: a
// value no producer writes means something went wrong, and hiding it would
// let a broken run look green.
type Tally struct {
	Passed  int `json:"passed"`  // status pass
	Failed  int `json:"failed"`  // status fail
	Errored int `json:"errored"` // status error, or a status no producer writes
	Skipped int `json:"skipped"` // status skipped
}

// Total is the number of outcomes counted.
func (t Tally) Total() int { return t.Passed + t.Failed + t.Errored + t.Skipped }

// add counts one outcome.
func (t *Tally) add(s Status) {
	switch s {
	case Pass:
		t.Passed++
	case Fail:
		t.Failed++
	case Skipped:
		t.Skipped++
	default:
		t.Errored++
	}
}

// Summary counts a run's scenarios and steps by status and names what went wrong.
type Summary struct {
	// Scenarios counts scenarios by their own status.
	Scenarios Tally
	// Steps counts the steps of every scenario.
	Steps Tally
	// Failed names the failed steps as "scenario/step", in results order, and a
	// failed scenario alone when none of its steps failed.
	Failed []string
	// Errored names errored steps and scenarios the same way.
	Errored []string
}

// Summarize counts the scenarios and steps of r. CLIs use it for their exit
// code; the terminal report for its last line.
func (r *Results) Summarize() Summary {
	var sum Summary
	if r == nil {
		return sum
	}
	for _, sc := range r.Scenarios {
		sum.Scenarios.add(sc.Status)
		stepFailed, stepErrored := false, false
		for _, st := range sc.Steps {
			sum.Steps.add(st.Status)
			switch st.Status {
			case Pass, Skipped:
			case Fail:
				stepFailed = true
				sum.Failed = append(sum.Failed, sc.Name+"/"+st.Name)
			default:
				stepErrored = true
				sum.Errored = append(sum.Errored, sc.Name+"/"+st.Name)
			}
		}
		switch sc.Status {
		case Pass, Skipped:
		case Fail:
			if !stepFailed {
				sum.Failed = append(sum.Failed, sc.Name)
			}
		default:
			if !stepErrored {
				sum.Errored = append(sum.Errored, sc.Name)
			}
		}
	}
	return sum
}
