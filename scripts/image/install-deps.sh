#!/usr/bin/env bash
# Installs, from Debian's packages, what the real-cluster e2e suite needs besides Go and Node:
# the container engine that builds the image (docker.io, with containerd and runc), the node's
# runtime (containerd, runc, containernetworking-plugins), debootstrap for the stand-in base
# image, iptables and conntrack for kube-proxy. Installing starts no daemon here (no systemd);
# dockerd.sh and node.sh start private ones. Idempotent: does nothing when all are present.
set -euo pipefail
packages=(docker.io containerd runc containernetworking-plugins debootstrap iptables conntrack)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if (( ${#missing[@]} == 0 )); then
  echo "[install-deps] all present: ${packages[*]}" >&2
  exit 0
fi
[[ "$(id -u)" == 0 ]] || { echo "[install-deps] needs root to install: ${missing[*]}" >&2; exit 1; }
echo "[install-deps] installing ${missing[*]}" >&2
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
