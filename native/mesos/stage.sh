# Sourced by make dist (dist.sh) and make deb (native/deb/build-deb.sh), with
# $root set: the files one release ships for /usr/lib/dvdi, and the host
# requirements they state.

# stage_init LABEL: exits unless MESOS_VERSION is given; sets $build, where
# make isolator left mesos-$MESOS_VERSION/ (DVDI_MODULE_DIR, default build/).
stage_init() {
  if [ -z "${MESOS_VERSION:-}" ]; then
    echo "$1: give MESOS_VERSION (and the Mesos tree settings of make isolator)" >&2
    exit 2
  fi
  build=${DVDI_MODULE_DIR:-$root/build}
}

# stage_release LABEL DIR: what `make isolator` put in $build/mesos-$MESOS_VERSION
# (the module, the JavaScript bundles), with this build's runtime library and
# `dvdi` launcher as installed: unlike those of build/native, their RUNPATH
# does not point at this host's .deps/libnode (agents find libnode108 as usual).
stage_release() {
  built="$build/mesos-$MESOS_VERSION"
  installed="$2.installed"
  rm -rf "$installed"
  if [ -f "$root/build/native/CMakeCache.txt" ]; then
    cmake --install "$root/build/native" --prefix "$installed" >/dev/null
  fi
  for f in "$built/libmesos_dvdi_isolator-$MESOS_VERSION.so" "$installed/lib/libdvdi_runtime.so" "$installed/bin/dvdi" \
    "$built/dvdi-runtime.cjs" "$built/dvdi-cli.cjs"; do
    if [ ! -f "$f" ]; then
      echo "$1: $f is not built (make build, make isolator)" >&2
      return 1
    fi
  done
  mkdir -p "$2"
  cp "$built/libmesos_dvdi_isolator-$MESOS_VERSION.so" "$built/dvdi-runtime.cjs" "$built/dvdi-cli.cjs" \
    "$installed/lib/libdvdi_runtime.so" "$installed/bin/dvdi" "$2/"
  rm -rf "$installed"
}

# stage_requirements DIR [--markdown]: the newest symbol version each ELF file
# staged in DIR (and libnode) needs, which an agent host must have at least.
stage_requirements() {
  dir=$1
  shift
  "$root/native/mesos/requirements.sh" "$@" "$dir/libmesos_dvdi_isolator-$MESOS_VERSION.so" "$dir/libdvdi_runtime.so" "$dir/dvdi"
}
