#!/usr/bin/env bash
# Makes sure a docker daemon answers, for kind and the node image build:
# installs docker.io (and debootstrap, which the build also needs) when
# missing, and starts dockerd in the background when none runs. There is no
# systemd on the development machines, so the daemon is started by hand, with
# its log in /var/log/netpolcheck/dockerd.log.
# Idempotent: with docker running it only asks the daemon and returns.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
need=()
have dockerd || need+=(docker.io)
have debootstrap || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "ensure-docker: need root to install: ${need[*]}" >&2
		exit 1
	fi
	echo "ensure-docker: installing ${need[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${need[@]}" >/dev/null
fi

docker info >/dev/null 2>&1 && exit 0

log=/var/log/netpolcheck/dockerd.log
mkdir -p "$(dirname "$log")"
echo "ensure-docker: starting dockerd (log: $log)" >&2
setsid dockerd >>"$log" 2>&1 </dev/null &
for _ in $(seq 1 60); do
	docker info >/dev/null 2>&1 && exit 0
	sleep 0.5
done
echo "ensure-docker: dockerd did not answer within 30s; last lines of $log:" >&2
tail -n 20 "$log" >&2
exit 1
