#!/bin/sh
# `make dist MESOS_VERSION=…`: one tarball for agents of that exact release,
# build/dvdi-isolator-VERSION-ABI.tar.gz (ABI: cxx11 for GCC 5+ agents, gcc4
# for the old std::string ABI), holding everything for /usr/lib/dvdi: the
# module, the runtime library, the JavaScript bundle, a dvdi-mod.json with
# every parameter at its default, and INSTALL.md.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/native/mesos/cxx-abi.sh"

if [ -z "${MESOS_VERSION:-}" ]; then
  echo "dist: give MESOS_VERSION (and the Mesos tree settings of make isolator)" >&2
  exit 2
fi
module="$root/build/libmesos_dvdi_isolator-$MESOS_VERSION.so"
bundle="$root/dist/dvdi-runtime.cjs"
# The installed runtime library: unlike the one in build/native, its RUNPATH
# does not point at this host's .deps/libnode (agents find libnode108 as usual).
installed="$root/build/dist/.installed"
rm -rf "$installed"
if [ -f "$root/build/native/CMakeCache.txt" ]; then
  cmake --install "$root/build/native" --prefix "$installed" >/dev/null
fi
runtime="$installed/lib/libdvdi_runtime.so"
for f in "$module" "$runtime" "$bundle"; do
  if [ ! -f "$f" ]; then
    echo "dist: $f is not built (make build, make isolator)" >&2
    exit 1
  fi
done

abi=$(abi_name "$(cxx11_abi_of "$module")")
name="dvdi-isolator-$MESOS_VERSION-$abi"
stage="$root/build/dist/$name"
rm -rf "$stage"
mkdir -p "$stage"
cp "$module" "$runtime" "$bundle" "$stage/"
node "$root/dist/cli/main.js" module-config --mesos-version "$MESOS_VERSION" >"$stage/dvdi-mod.json"
sed -e "s/@MESOS_VERSION@/$MESOS_VERSION/g" -e "s/@ABI@/$abi/g" "$root/native/mesos/INSTALL.md" >"$stage/INSTALL.md"
tar -czf "$root/build/$name.tar.gz" -C "$root/build/dist" "$name"
echo "dist: build/$name.tar.gz"
