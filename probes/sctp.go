package probes

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SCTPAvailable says whether this kernel can open SCTP sockets, and why not.
// Kernels built without SCTP, or where the sctp module cannot be loaded (in
// most containers), answer EPROTONOSUPPORT.
func SCTPAvailable() (bool, string) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_SCTP)
	if err != nil {
		return false, fmt.Sprintf("kernel has no SCTP: socket: %v", err)
	}
	_ = unix.Close(fd)
	return true, ""
}
