#!/usr/bin/env bash
# Installs what dvdi needs on a Debian host: the system tools its volumes use,
# Node.js if the host has none, and the npm dependencies. Safe to run again:
# it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# mount/umount/losetup/unshare (util-linux, mount), mkfs.ext4 and blkid (e2fsprogs), mkfs.xfs (xfsprogs);
# openssl makes the certificates of the TLS plugin tests.
packages=(util-linux mount e2fsprogs xfsprogs openssl)
# A host with its own Node.js (such as a third-party nodejs 20 package) keeps it.
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

stamp=node_modules/.dvdi-npm-ci
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund
  touch "$stamp"
fi
