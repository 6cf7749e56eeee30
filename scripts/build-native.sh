#!/usr/bin/env bash
# Builds dvdi's native parts without downloading anything:
#  - the Node-API addon (binding.gyp, node-gyp) for the Node running this
#    script, against its own headers: build/Release/dvdi_bridge.node;
#  - the CMake targets (cmake-js): the embedded runtime library and its tests
#    against Debian's libnode-dev (Node 18), in build/native.
# Fails loudly when a prerequisite is missing: run scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "build-native: $*" >&2; exit 1; }

node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
[ -f "$node_prefix/include/node/node_api.h" ] ||
  die "no Node headers in $node_prefix/include/node for node $(node --version)"

# libnode-dev installed normally, or unpacked by install-deps.sh.
if [ -f /usr/include/node/node.h ] && dpkg-query -W -f='${Status}' libnode-dev 2>/dev/null | grep -q 'install ok installed'; then
  libnode_root=/usr
elif [ -f .deps/libnode/usr/include/node/node.h ]; then
  libnode_root=$PWD/.deps/libnode/usr
else
  die "Debian's libnode-dev is missing: run scripts/install-deps.sh"
fi

jobs=$(nproc)
npx node-gyp configure build --nodedir="$node_prefix" --jobs="$jobs" --silent >/dev/null
# cmake-js takes the Node headers from nodedir instead of downloading them.
npm_config_nodedir=$libnode_root npx cmake-js build --out build/native --parallel "$jobs" \
  --CDLIBNODE_ROOT="$libnode_root" --log-level warn
