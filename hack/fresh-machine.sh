#!/usr/bin/env bash
# Runs a command the way a new machine would see it: in a private mount
# namespace whose /run is an empty tmpfs (no /run/netns, no /run/netpolcheck,
# no docker socket). The host's /run is untouched, and everything mounted
# inside goes away with the namespace.
#
#   hack/fresh-machine.sh make run
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: hack/fresh-machine.sh COMMAND [ARG...]" >&2; exit 2; }
exec unshare --mount --propagation private -- bash -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$@"' fresh-machine "$@"
