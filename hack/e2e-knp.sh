#!/usr/bin/env bash
# make e2e-knp: certify kube-network-policies, the NetworkPolicy enforcer
# Kubernetes' own CI uses, with the whole library on a kind cluster
# (docs/kind.md, "Another enforcer"). More than CI's time allows here (make
# e2e-kind certifies a part of it); its results are recorded in
# docs/certify.md.
#
#   hack/e2e-knp.sh BINDIR
#
#   1. kind up --cni kube-network-policies (adapted where the kernel lacks
#      nftables' queue expression)
#   2. certify the whole library plus the quick generated profile, each cell
#      by pod IP and through its Service
#   2b. redeploy it with its install-anp.yaml (AdminNetworkPolicy and
#      BaselineAdminNetworkPolicy v1alpha1) and certify --profile cnp's
#      v1alpha1 twins: its verdicts are recorded (docs/certify.md)
#   3. kind down
# certify must pass in step 2. Reports go to E2E_OUT (out/e2e-knp).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(realpath "${1:?usage: hack/e2e-knp.sh BINDIR}")
out=${E2E_OUT:-out/e2e-knp}
name=${E2E_CLUSTER:-npc-knp}
npc="$bin/netpolcheck"
node_image=()
[ -n "${NODE_IMAGE:-}" ] && node_image=(--node-image "$NODE_IMAGE")

step() { echo "=== e2e-knp: $* ($(date +%T))" >&2; }
fail() { echo "e2e-knp: FAIL: $*" >&2; exit 1; }
cleanup() {
	local code=$?
	if [ "${E2E_KEEP:-}" = 1 ] && [ $code -ne 0 ]; then
		echo "e2e-knp: E2E_KEEP=1: cluster $name kept" >&2
		return
	fi
	timeout 5m "$npc" kind down --name "$name" >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$out"
mkdir -p "$out"
timeout 5m "$npc" kind down --name "$name" >/dev/null

step "1. cluster $name with kube-network-policies"
kubeconfig=$(timeout 20m "$npc" kind up --name "$name" --nodes 3 --cni kube-network-policies --retain "${node_image[@]}" 2>"$out/up.log") ||
	fail "kind up exited $? (log in $out/up.log)"
grep -E "adaptation|programmed" "$out/up.log" >&2 || true
probe=$(timeout 5m "$npc" kind load --name "$name" --images probe)

step "2. certify, each cell by pod IP and through its Service: the library and the quick profile"
timeout 120m "$npc" certify --kubeconfig "$kubeconfig" --probe-image "$probe" --converge 60s --profile quick \
	--report-dir "$out/certify" >"$out/certify.txt" || fail "certify exited $? (grids in $out/certify.txt)"

step "2b. kube-network-policies with install-anp.yaml: certify --profile cnp, every v1alpha1 twin"
timeout 20m "$npc" kind deploy --name "$name" --cni kube-network-policies --knp-manifest install-anp --npa-channel experimental 2>"$out/deploy-anp.log" ||
	fail "kind deploy --knp-manifest install-anp exited $? (log in $out/deploy-anp.log)"
# The release has a bug netpolcheck catches (docs/certify.md: a namedPort
# matches every port of a pod declaring the name), so failures are recorded,
# not fatal; anything but a verdict (bad input, an internal error) is.
code=0
timeout 120m "$npc" certify --kubeconfig "$kubeconfig" --probe-image "$probe" --converge 60s --profile cnp --focus 'v1alpha1$' \
	--report-dir "$out/certify-anp" >"$out/certify-anp.txt" || code=$?
[ $code -le 1 ] || fail "certify --profile cnp exited $code (output in $out/certify-anp.txt)"
grep '^summary' "$out/certify-anp.txt" >&2

step "3. kind down $name"
timeout 5m "$npc" kind down --name "$name"
step "PASS: reports in $out/certify"
