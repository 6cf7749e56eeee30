#!/bin/sh
# `make deb MESOS_VERSION=…`: the Debian package of one release,
# build/dvdi-mesos-MESOSVERSION_VERSION_amd64.deb, made as a package without
# debhelper is: dpkg-shlibdeps derives Depends from the ELF files (libnode's
# from libnode108's own shlibs file), dpkg-gencontrol writes the control file,
# dpkg-deb builds, lintian checks (errors fail the build). It holds the files
# make dist ships, in /usr/lib/dvdi (stripped, as dh_strip would), the
# launcher as /usr/bin/dvdi, the modules file /etc/mesos-slave/dvdi-mod.json
# (a conffile), README.Debian (native/deb/README.Debian, with the text of
# `dvdi agent-setup`) and a manual page. Prints the host requirements, as
# make dist does.
#
# Settings (environment or make variables), besides make isolator's:
#   DEB_VERSION        the package's version; default package.json's (a newer
#                      build of the same dvdi needs a higher one to upgrade)
#   DEB_MAINTAINER     "Name <address>" for the Maintainer field
#   SOURCE_DATE_EPOCH  the changelog's date and the files' newest mtime;
#                      default the last commit's
#   DVDI_MODULE_DIR    where mesos-$MESOS_VERSION/ is and the package goes
set -eu
umask 022
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/native/deb"
. "$root/native/mesos/cxx-abi.sh"
. "$root/native/mesos/stage.sh"

stage_init deb
version=${DEB_VERSION:-$(node -p 'require(process.argv[1]).version' "$root/package.json")}
maintainer=${DEB_MAINTAINER:-dvdi maintainers <dvdi-maintainers@example.org>}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH
package="dvdi-mesos-$MESOS_VERSION"

# A source-like tree for Debian's tools: debian/control, debian/changelog,
# and debian/PACKAGE, the package's root.
work="$build/deb/$package"
pkg="$work/debian/$package"
lib="$pkg/usr/lib/dvdi"
rm -rf "$work"
stage_release deb "$lib"
module="libmesos_dvdi_isolator-$MESOS_VERSION.so"
abi=$(abi_name "$(cxx11_abi_of "$lib/$module")")
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$lib"/*.so "$lib/dvdi"
chmod 0644 "$lib"/*.so "$lib"/*.cjs
chmod 0755 "$lib/dvdi"
# The modules file names the module through this link, so it stays the same
# for every release: an operator's edits survive a switch of release too.
ln -s "$module" "$lib/libmesos_dvdi_isolator.so"
mkdir -p "$pkg/usr/bin" "$pkg/etc/mesos-slave" "$pkg/DEBIAN"
ln -s ../lib/dvdi/dvdi "$pkg/usr/bin/dvdi"
node "$root/dist/cli/main.js" module-config --library /usr/lib/dvdi/libmesos_dvdi_isolator.so >"$pkg/etc/mesos-slave/dvdi-mod.json"
echo /etc/mesos-slave/dvdi-mod.json >"$pkg/DEBIAN/conffiles"
cp "$here/postinst" "$here/prerm" "$pkg/DEBIAN/"
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm"

fill() {
  sed -e "s|@MESOS_VERSION@|$MESOS_VERSION|g" -e "s|@ABI@|$abi|g" -e "s|@VERSION@|$version|g" \
    -e "s|@MAINTAINER@|$maintainer|g" -e "s|@DATE@|$(date -u -R -d "@$SOURCE_DATE_EPOCH")|g" "$@"
}
fill "$here/control" >"$work/debian/control"
fill "$here/changelog" >"$work/debian/changelog"
docs="$pkg/usr/share/doc/$package"
mkdir -p "$docs"
cp "$here/copyright" "$docs/"
# changelog.gz, not changelog.Debian.gz: the package is native (dvdi's own version).
gzip -9n <"$work/debian/changelog" >"$docs/changelog.gz"
mkdir -p "$pkg/usr/share/lintian/overrides"
cp "$here/lintian-overrides" "$pkg/usr/share/lintian/overrides/$package"
node "$root/dist/cli/main.js" agent-setup --mesos-version "$MESOS_VERSION" >"$work/agent-setup.txt"
fill -e "/^@AGENT_SETUP@\$/{" -e "r $work/agent-setup.txt" -e "d" -e "}" "$here/README.Debian" >"$docs/README.Debian"
# The manual page's synopsis is `dvdi help`, with roff's backslash escaped.
node "$root/dist/cli/main.js" help | sed 's/\\/\\e/g' >"$work/usage.txt"
mkdir -p "$pkg/usr/share/man/man1"
fill -e "/^@USAGE@\$/{" -e "r $work/usage.txt" -e "d" -e "}" "$here/dvdi.1" | gzip -9n >"$pkg/usr/share/man/man1/dvdi.1.gz"

# Where a third-party nodejs blocks Debian's libnode108, scripts/install-deps.sh
# unpacked it with its control files, which dpkg-shlibdeps reads as an
# installed package's.
local_libnode="$root/.deps/libnode/usr/lib/x86_64-linux-gnu"
if [ -d "$local_libnode" ]; then set -- "-l$local_libnode"; else set --; fi
(
  cd "$work"
  dpkg-shlibdeps -Tdebian/substvars "$@" "-e$lib/$module" "-e$lib/libdvdi_runtime.so" "-e$lib/dvdi"
  dpkg-gencontrol "-p$package" "-P$pkg"
)
deb="$build/${package}_${version}_amd64.deb"
dpkg-deb --root-owner-group --build "$pkg" "$deb" >/dev/null
echo "deb: Depends: $(dpkg-deb -f "$deb" Depends)"
echo "deb: host requirements (the newest symbol version each file needs):"
stage_requirements "$lib"
# Lintian's own summary: errors fail the package, the rest is printed.
if ! lintian --fail-on error "$deb" >"$work/lintian.txt" 2>&1; then
  sed 's/^/deb: lintian: /' "$work/lintian.txt" >&2
  echo "deb: lintian found errors in $deb" >&2
  exit 1
fi
sed 's/^/deb: lintian: /' "$work/lintian.txt"
echo "deb: lintian: no errors"
echo "deb: $deb"
