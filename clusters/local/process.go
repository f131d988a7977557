package local

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// processStart reads a process's start time in clock ticks after boot and its
// state letter from /proc. The start time tells a live run from an unrelated
// process that later got the same PID.
func processStart(pid int) (start uint64, state byte, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read process %d: %w", pid, err)
	}
	return parseProcStat(string(b))
}

// parseProcStat picks the state (field 3) and start time (field 22) out of a
// /proc/<pid>/stat line. The command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last closing parenthesis.
func parseProcStat(stat string) (start uint64, state byte, err error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, 0, fmt.Errorf("parse proc stat: no command name")
	}
	fields := strings.Fields(stat[end+1:])
	const startField = 22 - 3 // fields[0] is field 3
	if len(fields) <= startField || len(fields[0]) != 1 {
		return 0, 0, fmt.Errorf("parse proc stat: %d fields after the command name", len(fields))
	}
	start, err = strconv.ParseUint(fields[startField], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("parse proc stat start time: %w", err)
	}
	return start, fields[0][0], nil
}

// runAlive tells whether the process that wrote reg still runs. A zombie
// counts as dead: it holds no sockets and will never tear anything down.
func runAlive(reg registration) bool {
	start, state, err := processStart(reg.PID)
	if err != nil {
		return false
	}
	return start == reg.ProcStart && state != 'Z' && state != 'X'
}
