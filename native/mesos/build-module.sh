#!/bin/sh
# `make isolator`: builds libmesos_dvdi_isolator-$MESOS_VERSION.so against an
# operator's Mesos tree of exactly that release, with the
# release's C++ standard and bundled third-party headers
# (versions/releases.tsv) and the agent's C++ library ABI. It links no
# libmesos: the agent provides those symbols when it loads the module.
# It lands in build/mesos-$MESOS_VERSION/ beside a copy of this build's
# runtime library, bundle and `dvdi` launcher, so a modules file naming the
# module there needs no runtime_library or bundle parameter.
#
# Settings (environment or make variables):
#   MESOS_VERSION              the agent's exact release, e.g. 0.27.2
#   MESOS_SRC, MESOS_BUILD     a configured source tree and its build directory
#   or MESOS_PREFIX            an installed Mesos (headers under include/,
#                              plus MESOS_EXTRA_INCLUDES for boost, glog,
#                              protobuf and picojson if not there)
#   MESOS_CXX11_ABI=0|1        the agent's std::string ABI; default: detected
#                              from the tree's libmesos (__cxx11 in its symbols)
#   DVDI_MODULE_DIR            where mesos-$MESOS_VERSION/ goes; default build/
#   CXX                        default g++
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/native/mesos/cxx-abi.sh"

if [ -z "${MESOS_VERSION:-}" ]; then
  echo "isolator: skipped, no Mesos tree given (make isolator MESOS_VERSION=0.27.2 MESOS_SRC=… MESOS_BUILD=…, or MESOS_PREFIX=…)"
  exit 0
fi
release() { "$root/versions/release.sh" "$MESOS_VERSION" "$1"; }
version_int=$(release version_int)

if [ -n "${MESOS_SRC:-}" ] && [ -n "${MESOS_BUILD:-}" ]; then
  # 1.0 moved the bundled third-party packages and stout up to 3rdparty/.
  case "$(release third_party)" in
    libprocess) third="$MESOS_BUILD/3rdparty/libprocess/3rdparty" stout="$MESOS_SRC/3rdparty/libprocess/3rdparty/stout" ;;
    *) third="$MESOS_BUILD/3rdparty" stout="$MESOS_SRC/3rdparty/stout" ;;
  esac
  includes="$MESOS_SRC/include $MESOS_BUILD/include $MESOS_SRC/3rdparty/libprocess/include $stout/include
    $third/boost-$(release boost) $third/glog-$(release glog)/src $third/protobuf-$(release protobuf)/src
    $third/picojson-$(release picojson)"
  if [ "$(release rapidjson)" != - ]; then includes="$includes $third/rapidjson-$(release rapidjson)/include"; fi
  libdirs="$MESOS_BUILD/src/.libs"
elif [ -n "${MESOS_PREFIX:-}" ]; then
  includes="$MESOS_PREFIX/include ${MESOS_EXTRA_INCLUDES:-}"
  libdirs="$MESOS_PREFIX/lib $MESOS_PREFIX/lib64"
else
  echo "isolator: give MESOS_SRC and MESOS_BUILD (a configured tree) or MESOS_PREFIX (an installed Mesos)" >&2
  exit 2
fi

# The module declares MESOS_VERSION, which the agent checks. The tree is the
# release itself, or the one versions/releases.tsv names for it (a later
# patch release of the same minor with the same headers).
tree_version=$(for d in $includes; do cat "$d/mesos/version.hpp" 2>/dev/null || true; done |
  sed -n 's/^#define MESOS_VERSION "\(.*\)"$/\1/p' | head -n 1)
if [ "$tree_version" != "$MESOS_VERSION" ] && [ "$tree_version" != "$(release tree)" ]; then
  echo "isolator: the tree's mesos/version.hpp says ${tree_version:-nothing}; Mesos $MESOS_VERSION needs its own tree$(
    [ "$(release tree)" = "$MESOS_VERSION" ] || echo " or $(release tree)'s") (is it configured?)" >&2
  exit 1
fi
echo "isolator: Mesos $MESOS_VERSION from the Mesos $tree_version tree"

abi=${MESOS_CXX11_ABI:-}
if [ -z "$abi" ]; then
  libmesos=$(for d in $libdirs; do ls "$d/libmesos-$tree_version.so" "$d/libmesos.so" 2>/dev/null || true; done | head -n 1)
  if [ -z "$libmesos" ]; then
    echo "isolator: no libmesos in $libdirs to detect the agent's C++ ABI from: set MESOS_CXX11_ABI=1 (GCC 5+ agents) or 0 (GCC 4.x)" >&2
    exit 2
  fi
  abi=$(cxx11_abi_of "$libmesos")
  echo "isolator: $libmesos uses the $(abi_name "$abi") C++ ABI"
fi
case "$abi" in 0 | 1) ;; *) echo "isolator: MESOS_CXX11_ABI must be 0 or 1" >&2; exit 2 ;; esac

module_dir=${DVDI_MODULE_DIR:-$root/build}
out="$module_dir/mesos-$MESOS_VERSION"
objects="$module_dir/obj/mesos-$MESOS_VERSION"
native="$root/build/native"
for f in "$native/libdvdi_runtime.so" "$native/dvdi" "$root/dist/dvdi-runtime.cjs" "$root/dist/dvdi-cli.cjs"; do
  if [ ! -f "$f" ]; then
    echo "isolator: $f is not built (make build)" >&2
    exit 1
  fi
done
mkdir -p "$out" "$objects"
CXX=${CXX:-g++}
flags="-std=$(release cxx_std) -fPIC -O2 -g -Wall -Wextra -Werror -DMESOS_VERSION_INT=$version_int
  -DDVDI_MESOS_RELEASE=\"$MESOS_VERSION\"
  -D_GLIBCXX_USE_CXX11_ABI=$abi -DPICOJSON_USE_INT64 -D__STDC_FORMAT_MACROS"
# The tree's headers are not ours to warn about.
system=$(for d in $includes; do printf ' -isystem %s' "$d"; done)
for src in native/mesos/isolator.cpp native/mesos/plan.cc native/mesos/metrics_tally.cc native/wire/bridge_wire.cc; do
  obj="$objects/$(basename "$src" | sed 's/\.[a-z]*$//').o"
  echo "isolator: $CXX $src (Mesos $MESOS_VERSION, $(abi_name "$abi") ABI)"
  # shellcheck disable=SC2086
  $CXX $flags $system -c "$root/$src" -o "$obj"
done
module="$out/libmesos_dvdi_isolator-$MESOS_VERSION.so"
$CXX -shared -o "$module" "$objects/isolator.o" "$objects/plan.o" "$objects/metrics_tally.o" "$objects/bridge_wire.o" -ldl
# Copies, not links: the runtime finds its bundle beside the path it was loaded from.
cp "$native/libdvdi_runtime.so" "$native/dvdi" "$root/dist/dvdi-runtime.cjs" "$root/dist/dvdi-cli.cjs" "$out/"
echo "isolator: built $module for Mesos $MESOS_VERSION agents with the $(abi_name "$abi") C++ ABI"
