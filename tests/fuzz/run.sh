#!/bin/bash
# Runs each libFuzzer harness (tests/fuzz/fuzz_*.c) for a short time
# (LFS_FUZZ_SECONDS, default 20) on a clang build with ASan and UBSan made
# in $top_builddir/fuzz-build, seeded with real pages where a seed writer
# exists.  Any crash, leak or sanitizer report fails the test (TAP).
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
secs=${LFS_FUZZ_SECONDS:-20}
fuzzers="fuzz_pages fuzz_legacy fuzz_enc20"
echo "1..4"
if ! command -v clang >/dev/null 2>&1; then
	for i in 1 2 3 4; do echo "ok $i # SKIP clang is not installed (scripts/deps.sh installs it)"; done
	exit 0
fi
fb="$top_builddir/fuzz-build"
log="$top_builddir/fuzz-build.log"
mkdir -p "$fb"
(
	flock 9
	cd "$fb" || exit 1
	# gcc-only attributes in some files are harmless to clang
	flags="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -Wno-unknown-attributes -Wno-psabi"
	[ -f Makefile ] || "$top_srcdir/configure" -q --enable-fuzzing CC=clang CFLAGS="$flags" \
		LDFLAGS="-fsanitize=address,undefined" >"$log" 2>&1 || exit 1
	targets=""
	for f in $fuzzers; do targets="$targets tests/fuzz/$f"; done
	make -j"$(nproc)" $targets >>"$log" 2>&1
) 9>"$top_builddir/fuzz-build.lock"
if [ $? != 0 ]; then
	echo "not ok 1 - the fuzzers build with clang"
	tail -20 "$log" | sed 's/^/# /'
	exit 1
fi
echo "ok 1 - the fuzzers build with clang"
work=$(mktemp -d "${TMPDIR:-/tmp}/lancefs-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
n=1
for f in $fuzzers; do
	n=$((n + 1))
	corpus="$work/$f"
	mkdir -p "$corpus"
	if [ "$f" = fuzz_pages ] && [ -x "$top_builddir/tests/unit/test_fuzz_replay" ]; then
		top_srcdir="$top_srcdir" "$top_builddir/tests/unit/test_fuzz_replay" --write-seeds "$corpus" >/dev/null 2>&1
	fi
	if top_srcdir="$top_srcdir" ASAN_OPTIONS=detect_leaks=1 "$fb/tests/fuzz/$f" \
		-max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
		-artifact_prefix="$work/" "$corpus" >"$work/$f.log" 2>&1; then
		echo "ok $n - $f ran ${secs}s: $(grep -o 'Done [0-9]* runs' "$work/$f.log")"
	else
		echo "not ok $n - $f found a problem"
		grep -E "ERROR|SUMMARY|runtime error|==[0-9]+==" "$work/$f.log" | head -20 | sed 's/^/# /'
		for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
			[ -f "$a" ] && echo "# input: $(basename "$a") ($(wc -c <"$a") bytes, base64 follows)" &&
				base64 -w0 "$a" | head -c 3000 | sed 's/^/# /' && echo
		done
	fi
done
