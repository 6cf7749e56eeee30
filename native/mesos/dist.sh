#!/bin/sh
# `make dist MESOS_VERSION=…`: one tarball for agents of that exact release,
# build/dvdi-isolator-VERSION-ABI.tar.gz (ABI: cxx11 for GCC 5+ agents, gcc4
# for the old std::string ABI), holding everything for /usr/lib/dvdi: what
# `make isolator` put in build/mesos-VERSION (the module, the runtime library,
# the JavaScript bundles, the `dvdi` launcher), a dvdi-mod.json with every
# parameter at its default, and INSTALL.md, which states (as this script
# prints) the newest glibc and libstdc++ symbol versions each file needs.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/native/mesos/cxx-abi.sh"

if [ -z "${MESOS_VERSION:-}" ]; then
  echo "dist: give MESOS_VERSION (and the Mesos tree settings of make isolator)" >&2
  exit 2
fi
build=${DVDI_MODULE_DIR:-$root/build}
built="$build/mesos-$MESOS_VERSION"
module="$built/libmesos_dvdi_isolator-$MESOS_VERSION.so"
# The installed runtime library and launcher: unlike those of build/native,
# their RUNPATH does not point at this host's .deps/libnode (agents find
# libnode108 as usual).
installed="$build/dist/.installed"
rm -rf "$installed"
if [ -f "$root/build/native/CMakeCache.txt" ]; then
  cmake --install "$root/build/native" --prefix "$installed" >/dev/null
fi
for f in "$module" "$installed/lib/libdvdi_runtime.so" "$installed/bin/dvdi" "$built/dvdi-runtime.cjs" "$built/dvdi-cli.cjs"; do
  if [ ! -f "$f" ]; then
    echo "dist: $f is not built (make build, make isolator)" >&2
    exit 1
  fi
done

abi=$(abi_name "$(cxx11_abi_of "$module")")
name="dvdi-isolator-$MESOS_VERSION-$abi"
stage="$build/dist/$name"
rm -rf "$stage"
mkdir -p "$stage"
cp "$module" "$built/dvdi-runtime.cjs" "$built/dvdi-cli.cjs" "$installed/lib/libdvdi_runtime.so" "$installed/bin/dvdi" "$stage/"
node "$root/dist/cli/main.js" module-config --mesos-version "$MESOS_VERSION" >"$stage/dvdi-mod.json"
# What an agent host must have at least: printed here, stated in INSTALL.md.
requirements() {
  "$root/native/mesos/requirements.sh" "$@" "$stage/$(basename "$module")" "$stage/libdvdi_runtime.so" "$stage/dvdi"
}
echo "dist: host requirements (the newest symbol version each file needs):"
requirements
requirements --markdown >"$build/dist/requirements.md"
sed -e "s/@MESOS_VERSION@/$MESOS_VERSION/g" -e "s/@ABI@/$abi/g" \
  -e "/^@REQUIREMENTS@\$/{" -e "r $build/dist/requirements.md" -e "d" -e "}" \
  "$root/native/mesos/INSTALL.md" >"$stage/INSTALL.md"
tar -czf "$build/$name.tar.gz" -C "$build/dist" "$name"
echo "dist: $build/$name.tar.gz"
