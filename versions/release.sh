#!/bin/sh
# Reads versions/releases.tsv for the Makefile and the tests.
#   release.sh VERSION          every trait of VERSION as field=value lines, plus version_int
#   release.sh VERSION FIELD    one trait (version_int: major*10000 + minor*100 + patch)
#   release.sh --list           the supported versions, oldest first
# Exits 1 with a message on stderr when VERSION is not in the table.
set -eu
table="$(dirname "$0")/releases.tsv"
exec awk -F '\t' -v want="$1" -v field="${2:-}" '
  function versionInt(v,   p) { split(v, p, "."); return p[1] * 10000 + p[2] * 100 + p[3] }
  /^#/ || NF == 0 { next }
  !header { for (i = 1; i <= NF; i++) name[i] = $i; header = NF; next }
  want == "--list" { print $1; next }
  $1 == want {
    found = 1
    for (i = 1; i <= header; i++) value[name[i]] = $i
    value["version_int"] = versionInt($1)
    if (field == "") {
      for (i = 1; i <= header; i++) print name[i] "=" $i
      print "version_int=" value["version_int"]
    } else if (field in value) {
      print value[field]
    } else {
      print "versions/releases.tsv has no trait " field > "/dev/stderr"; exit 2
    }
  }
  END {
    if (want != "--list" && !found) {
      print "Mesos " want " is not a supported release (versions/releases.tsv)" > "/dev/stderr"; exit 1
    }
  }
' "$table"
