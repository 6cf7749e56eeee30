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
# The native build (node-gyp needs python3, the runtime libuv's header), and
# what Debian's libnode108 (the embedded Node 18) needs at run time: its
# libraries and the builtin JS files it reads from /usr/share/nodejs.
packages+=(g++ make cmake python3 libuv1-dev zlib1g libuv1 libc-ares2 libicu72 libssl3 libnghttp2-14 libbrotli1
  node-acorn node-cjs-module-lexer node-undici)
# make deb: Debian's package tools (dpkg-shlibdeps, dpkg-gencontrol), lintian,
# and mmdebstrap for the package's clean-root install test.
packages+=(dpkg-dev lintian mmdebstrap)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# libnode-dev (headers) and libnode108: installed normally where apt allows;
# a third-party nodejs package conflicts with them, so there they are unpacked
# into .deps/libnode instead (scripts/libnode-root.sh finds either).
libnode_stamp=.deps/libnode/.unpacked
if ! dpkg-query -W -f='${Status}' libnode-dev 2>/dev/null | grep -q 'install ok installed' && [ ! -f "$libnode_stamp" ]; then
  if apt-get install -s -qq libnode-dev >/dev/null 2>&1; then
    echo "install-deps: apt-get install libnode-dev"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libnode-dev
  else
    echo "install-deps: unpacking libnode108 and libnode-dev into .deps/libnode"
    rm -rf .deps/libnode && mkdir -p .deps/libnode/debs
    (cd .deps/libnode/debs && apt-get download libnode108 libnode-dev 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    for deb in .deps/libnode/debs/*.deb; do dpkg-deb -x "$deb" .deps/libnode; done
    rm -rf .deps/libnode/debs
    test -f .deps/libnode/usr/include/node/node.h
    touch "$libnode_stamp"
  fi
fi
# make deb's dpkg-shlibdeps reads the libnode dependency from libnode108's own
# shlibs file, as for an installed package: an unpacked libnode keeps its
# control files in .deps/libnode/DEBIAN.
if [ -f "$libnode_stamp" ] && [ ! -f .deps/libnode/DEBIAN/shlibs ]; then
  echo "install-deps: libnode108's control files into .deps/libnode/DEBIAN"
  rm -rf .deps/libnode-control && mkdir -p .deps/libnode-control
  (cd .deps/libnode-control && apt-get download libnode108 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  dpkg-deb -e .deps/libnode-control/libnode108_*.deb .deps/libnode/DEBIAN
  rm -rf .deps/libnode-control
fi

stamp=node_modules/.dvdi-npm-ci
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund
  touch "$stamp"
fi
