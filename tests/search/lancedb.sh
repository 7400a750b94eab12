#!/bin/sh
# Compares lancefs's query engine with LanceDB on the same tables (TAP).
#
#   tests/search/lancedb.sh              the comparison (a test of make check)
#   tests/search/lancedb.sh --data-only  only makes sure the data is there and prints
#                                        its directory (for tests/mount/test_query.sh)
#
# Writes the tables and LanceDB's answers once per build tree into
# $top_builddir/tests/search/data with tests/search/make_data.mjs (LanceDB from
# tests/fixtures/gen/node_modules, which tests/fixtures/setup.sh installs), then
# runs tests/unit/test_search_lancedb on them. The data is written again when
# make_data.mjs or the LanceDB lock file changes (a stamp holds their checksum);
# parallel runs wait for each other (flock).
set -u

: "${top_srcdir:?}" "${top_builddir:?}"
here="$top_srcdir/tests/search"
gen="$top_srcdir/tests/fixtures/gen"
out="$top_builddir/tests/search/data"
log="$top_builddir/tests/search/make_data.log"

data_only=0
[ "${1:-}" = --data-only ] && data_only=1
skip_all() {
	[ $data_only = 1 ] && { echo "tests/search/lancedb.sh: $*" >&2; exit 1; }
	echo "1..0 # SKIP $*"
	exit 0
}
bail() {
	[ $data_only = 1 ] && { echo "tests/search/lancedb.sh: $*" >&2; exit 1; }
	echo "Bail out! $*"
	exit 1
}

command -v node >/dev/null 2>&1 || skip_all "node is not installed (LanceDB writes the data)"
command -v flock >/dev/null 2>&1 || skip_all "flock is not installed"
command -v sha256sum >/dev/null 2>&1 || skip_all "sha256sum is not installed"
mkdir -p "$top_builddir/tests/search" "$top_builddir/tests/fixtures" || bail "cannot create $top_builddir/tests/search"

# LanceDB itself: tests/fixtures/setup.sh installs it (and writes the fixture
# corpus the mount tests share; instant when that is done already).
(
	flock 9
	"$top_srcdir/tests/fixtures/setup.sh" "$top_builddir/tests/fixtures/out" \
		>"$top_builddir/tests/fixtures/setup.log" 2>&1
) 9>"$top_builddir/tests/fixtures/.lock" || {
	tail -20 "$top_builddir/tests/fixtures/setup.log" | sed 's/^/# /' >&2
	bail "installing LanceDB failed (tests/fixtures/setup.sh)"
}

stamp=$(cat "$here/make_data.mjs" "$gen/package-lock.json" | sha256sum | cut -d' ' -f1)
(
	flock 9
	if [ ! -f "$out/.stamp" ] || [ "$(cat "$out/.stamp")" != "$stamp" ]; then
		rm -rf "$out"
		mkdir -p "$out" &&
			LANCEDB_NODE_MODULES="$gen/node_modules" node "$here/make_data.mjs" "$out" >"$log" 2>&1 &&
			echo "$stamp" >"$out/.stamp"
	fi
) 9>"$top_builddir/tests/search/.lock" || {
	tail -20 "$log" | sed 's/^/# /' >&2
	bail "make_data.mjs failed"
}

if [ $data_only = 1 ]; then
	echo "$out"
	exit 0
fi

exec "$top_builddir/tests/unit/test_search_lancedb" "$out"
