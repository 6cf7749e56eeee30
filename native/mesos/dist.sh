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
. "$root/native/mesos/stage.sh"

stage_init dist
stage="$build/dist/.stage"
rm -rf "$stage"
stage_release dist "$stage"
# Named after the module's C++ ABI.
abi=$(abi_name "$(cxx11_abi_of "$stage/libmesos_dvdi_isolator-$MESOS_VERSION.so")")
name="dvdi-isolator-$MESOS_VERSION-$abi"
rm -rf "$build/dist/$name"
mv "$stage" "$build/dist/$name"
stage="$build/dist/$name"
node "$root/dist/cli/main.js" module-config --mesos-version "$MESOS_VERSION" >"$stage/dvdi-mod.json"
# What an agent host must have at least: printed here, stated in INSTALL.md.
echo "dist: host requirements (the newest symbol version each file needs):"
stage_requirements "$stage"
stage_requirements "$stage" --markdown >"$build/dist/requirements.md"
sed -e "s/@MESOS_VERSION@/$MESOS_VERSION/g" -e "s/@ABI@/$abi/g" \
  -e "/^@REQUIREMENTS@\$/{" -e "r $build/dist/requirements.md" -e "d" -e "}" \
  "$root/native/mesos/INSTALL.md" >"$stage/INSTALL.md"
tar -czf "$build/$name.tar.gz" -C "$build/dist" "$name"
echo "dist: $build/$name.tar.gz"
