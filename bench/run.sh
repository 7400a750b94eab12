#!/usr/bin/env bash
# bench/run.sh: every benchmark, lancefs side by side with LanceDB, then a summary against
# the targets. Run by hand, as root (the cold reads drop the kernel's page cache):
#
#   bench/run.sh [--quick]
#
# Environment: LANCEFS (a lancefs binary; default: built by scripts/build.sh into
# BENCH_BUILD, default build/). The datasets are written once into bench/data/ (about
# 1.1 GB, git-ignored). See doc/bench.md for what each figure means.
#
#   bench/vec_read.sh      1M x 128 float32 column: cat, numpy.load vs LanceDB toArrow
#   bench/fuse_ceiling.sh  an in-memory FUSE file vs lancefs warm
#   bench/s3_read.sh       the same column from a loopback S3 server, bytes and requests
#   bench/knn.sh           exact kNN through lancefs's query code vs LanceDB
set -euo pipefail
. "$(dirname "$0")/lib.sh"

quick=()
case "$#:${1:-}" in
0:) ;;
1:--quick) quick=(--quick) ;;
*) die "usage: bench/run.sh [--quick]" ;;
esac

ensure_tools
ensure_lancefs
export LANCEFS
started=$(now_ns)

failed=()
run() { # NAME COMMAND...
	local name=$1
	shift
	say "== $name"
	if ! "$@"; then
		failed+=("$name")
		say "$name FAILED (continuing)"
	fi
}

run vec_read "$BENCH/vec_read.sh" "${quick[@]+"${quick[@]}"}"
run fuse_ceiling "$BENCH/fuse_ceiling.sh" "${quick[@]+"${quick[@]}"}"
run s3_read "$BENCH/s3_read.sh" "${quick[@]+"${quick[@]}"}"
build_dir=$(dirname "$LANCEFS")
if [ -f "$BENCH/knn.sh" ]; then
	if [ -f "$build_dir/Makefile" ]; then
		if [ ${#quick[@]} -gt 0 ]; then
			run knn env QUERIES=3 RUNS=3 WARMUP=1 sh "$BENCH/knn.sh" "$build_dir"
		else
			run knn sh "$BENCH/knn.sh" "$build_dir"
		fi
	else
		say "knn: skipped ($build_dir is not a build tree; knn.sh needs one)"
	fi
fi

# ------------------------------------------------------------------ summary

get() { awk -v k="$2" '$1 == k { print $2 }' "$RESULTS/$1.txt" 2>/dev/null; }
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
	if (v == "") { print "n/a"; exit }
	ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "MET" : "NOT MET" }'; }

echo
echo "== summary $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk '{ print $1 }' /proc/loadavg) load; $(($(($(now_ns) - started)) / 1000000000)) s in all"
printf '  %-52s %-10s %-12s %s\n' "" "measured" "target" ""
v=$(get vec_read vec_warm_speedup)
printf '  %-52s %-10s %-12s %s\n' "vec warm: LanceDB time / lancefs time (cat)" "${v:-n/a}x" ">= 2x" "$(verdict "$v" 2 '>=')"
v=$(get vec_read vec_warm_speedup_cpu)
printf '  %-52s %-10s %-12s %s\n' "  same, by CPU time" "${v:-n/a}x" "" ""
v=$(get vec_read vec_cold_ratio)
printf '  %-52s %-10s %-12s %s\n' "vec cold: lancefs time / LanceDB time (cat)" "${v:-n/a}" "<= 1" "$(verdict "$v" 1 '<=')"
printf '  %-52s %-10s\n' "vec: lancefs bytes == LanceDB's" "$(get vec_read vec_bytes_match)"
printf '  %-52s %-10s\n' "vec: peak RSS lancefs / node+LanceDB (MB)" "$(get vec_read vec_lancefs_rss_mb)/$(get vec_read vec_lancedb_rss_mb)"
v=$(get fuse_ceiling fraction_cat)
printf '  %-52s %-10s %-12s %s\n' "FUSE: lancefs warm cat / in-memory FUSE (best MB/s)" "${v:-n/a}" ">= 0.5" "$(verdict "$v" 0.5 '>=')"
printf '  %-52s %-10s\n' "  same, by CPU time" "$(get fuse_ceiling fraction_cpu_cat)"
printf '  %-52s %-10s\n' "  same, by median MB/s (noisy when the machine is busy)" "$(get fuse_ceiling fraction_median_cat)"
if [ -n "$(get s3_read s3_skipped)" ]; then
	printf '  %-52s %s\n' "S3" "skipped: missing $(get s3_read s3_skipped)"
else
	for lat in $(get s3_read s3_latencies | tr , ' '); do
		v=$(get s3_read "s3_${lat}ms_cold_ratio")
		printf '  %-52s %-10s %-12s %s\n' "S3 +${lat} ms cold: lancefs time / LanceDB time" "${v:-n/a}" "<= 1" "$(verdict "$v" 1 '<=')"
		v=$(get s3_read "s3_${lat}ms_warm_speedup")
		printf '  %-52s %-10s %-12s %s\n' "S3 +${lat} ms warm: LanceDB time / lancefs time" "${v:-n/a}x" ">= 2x" "$(verdict "$v" 2 '>=')"
		printf '  %-52s %-10s\n' "S3 +${lat} ms cold requests, lancefs/LanceDB" "$(get s3_read "s3_${lat}ms_cold_requests")"
		printf '  %-52s %-10s\n' "S3 +${lat} ms cold requests in flight, lancefs/LanceDB" "$(get s3_read "s3_${lat}ms_cold_concurrency")"
		printf '  %-52s %-10s\n' "S3 +${lat} ms: lancefs bytes == LanceDB's" "$(get s3_read "s3_${lat}ms_bytes_match")"
	done
fi
[ ${#failed[@]} -eq 0 ] || { echo "  FAILED: ${failed[*]}"; exit 1; }
