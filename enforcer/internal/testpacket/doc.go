// Package testpacket crafts Ethernet frames for running the enforcer's
// programs with BPF_PROG_TEST_RUN, where no real traffic is involved.
package testpacket
