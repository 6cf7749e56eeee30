#!/bin/sh
# The host requirements of dvdi's ELF files (`dvdi requirements`): the newest
# glibc, libstdc++ and libgcc_s symbol versions each file needs, which an
# agent host must have at least, and the same for libnode as the files find
# it on this build host (Debian's libnode108; .deps/libnode where a
# third-party nodejs blocks it). A table; with --markdown, the table
# INSTALL.md states. make dist (dist.sh) prints and states it; a package
# target calls it the same way.
#   native/mesos/requirements.sh [--markdown] FILE...
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
local_libnode="$root/.deps/libnode/usr/lib/x86_64-linux-gnu"
if [ -d "$local_libnode" ]; then
  set -- --library-path "$local_libnode" "$@"
fi
exec node "$root/dist/cli/main.js" requirements --dependency libnode.so.108 "$@"
