#!/bin/bash
# Turns a debootstrapped Debian rootfs into the equivalent of kindest/base, the
# way kind's images/base/Dockerfile does, plus this project's two offline fixes.
# Usage: base-rootfs.sh ROOTFS KIND_FILES CRICTL ENTRYPOINT_OFFLINE
set -euo pipefail
rootfs=$1 kind_files=$2 crictl=$3 entrypoint_offline=$4

install -m0755 "$kind_files"/usr/local/bin/* "$rootfs/usr/local/bin/"
mkdir -p "$rootfs/kind/bin" "$rootfs/LICENSES" "$rootfs/etc/containerd" "$rootfs/etc/default" \
  "$rootfs/etc/sysctl.d" "$rootfs/etc/systemd/system/kubelet.service.d" "$rootfs/etc/kubernetes/manifests"
install -m0644 "$kind_files/kind/README.txt" "$rootfs/kind/"
install -m0755 "$kind_files"/kind/bin/* "$rootfs/kind/bin/"
install -m0644 "$kind_files"/LICENSES/* "$rootfs/LICENSES/"
install -m0644 "$kind_files/etc/crictl.yaml" "$rootfs/etc/"
install -m0644 "$kind_files"/etc/containerd/* "$rootfs/etc/containerd/"
install -m0644 "$kind_files"/etc/default/* "$rootfs/etc/default/"
install -m0644 "$kind_files"/etc/sysctl.d/* "$rootfs/etc/sysctl.d/"
install -m0644 "$kind_files"/etc/systemd/system/*.service "$kind_files"/etc/systemd/system/*.slice "$rootfs/etc/systemd/system/"
install -m0644 "$kind_files"/etc/systemd/system/kubelet.service.d/* "$rootfs/etc/systemd/system/kubelet.service.d/"

# Debian installs containerd in /usr/bin and the CNI plugins in /usr/lib/cni;
# kind's units and kubelet look in /usr/local/bin and /opt/cni/bin.
ln -sf /usr/bin/containerd "$rootfs/usr/local/bin/containerd"
mkdir -p "$rootfs/opt/cni/bin"
cp -a "$rootfs"/usr/lib/cni/* "$rootfs/opt/cni/bin/"
install -m0755 "$crictl" "$rootfs/usr/local/bin/crictl"

# systemd as PID 1 of a container: no udev, no tmpfiles setup, no kmsg.
find "$rootfs/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$rootfs"/lib/systemd/system/multi-user.target.wants/* "$rootfs"/etc/systemd/system/*.wants/* \
  "$rootfs"/lib/systemd/system/local-fs.target.wants/* "$rootfs"/lib/systemd/system/sockets.target.wants/*udev* \
  "$rootfs"/lib/systemd/system/sockets.target.wants/*initctl* "$rootfs"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >> "$rootfs/etc/systemd/journald.conf"
ln -sf /lib/systemd/systemd "$rootfs/sbin/init"
chroot "$rootfs" systemctl enable kubelet.service containerd.service undo-mount-hacks.service
chroot "$rootfs" systemctl mask systemd-binfmt.service

# Fix 1: where the capability bounding set lacks CAP_SYS_RESOURCE, runc cannot
# lower oom_score_adj and fails every pod sandbox ("can't get final child's PID
# from pipe: EOF"). Keeping scores at or above containerd's own is harmless elsewhere.
sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' "$rootfs/etc/containerd/config.toml"
grep -q 'restrict_oom_score_adj = true' "$rootfs/etc/containerd/config.toml"

# Fix 2: a node started without --privileged (see the docker shim) has
# read-only cgroup mounts; this pre-entrypoint remounts them before kind's.
mv "$rootfs/usr/local/bin/entrypoint" "$rootfs/usr/local/bin/entrypoint.kind"
install -m0755 "$entrypoint_offline" "$rootfs/usr/local/bin/entrypoint"

# The base OCI spec of pod containers, as kind generates it.
chroot "$rootfs" sh -c 'ctr oci spec | jq ".hooks.createContainer[.hooks.createContainer | length] |= . + {\"path\": \"/kind/bin/mount-product-files.sh\"}" | jq "del(.process.rlimits)"' \
  > "$rootfs/etc/containerd/cri-base.json"
test -s "$rootfs/etc/containerd/cri-base.json"

rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
