#!/usr/bin/env bash
# bench/vec_read.sh: read a 1,000,000 x 128 float32 vector column through lancefs and through
# LanceDB, on the same dataset in the same run (issue 3).
#
#   bench/vec_read.sh [--quick] [--rounds N] [--warm N] [--perf] [-- LANCEFS MOUNT OPTIONS]
#
#   --quick     3 rounds of 2 warm reads (default: 5 rounds of 3 warm reads)
#   --perf      also record the lancefs daemon with `perf record -g` during warm reads and
#               print where its time goes (bench/data/perf-vec_read.data)
#   after --     options for `lancefs mount` (e.g. --cache-size 1G, -o max_read=131072)
#
# The dataset (id int64, vec fixed_size_list<float32,128>, 10 fragments, storage version 2.1)
# is written once by LanceDB into bench/data/ and reused while bench/gen_vec.mjs and the
# LanceDB version stay the same.
#
# What is measured (medians over the rounds; see doc/bench.md):
#   cold  the kernel page cache is dropped (sync; echo 3 > /proc/sys/vm/drop_caches) after the
#         dataset was opened and before the read; lancefs is a fresh mount (empty block
#         cache), LanceDB a fresh process (connect + openTable done, not timed)
#   warm  the Lance files are in the page cache and the reader is warm: the same lancefs
#         mount read again after dropping the kernel's pages of data/vec.bin alone
#         (posix_fadvise DONTNEED), so every byte goes through FUSE to the daemon, which
#         serves it from its block cache; the same LanceDB process querying again
#   page cache  the file read again with its pages left in the kernel's page cache, so the
#         daemon is not asked at all (for reference: a re-read in the same mount)
# Wall time and CPU time (the reader's plus the lancefs daemon's) are both reported: on a
# busy machine CPU time is the steadier of the two.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROWS=1000000
DIM=128
rounds=5
warm=3
perf=0
mount_opts=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) rounds=3 warm=2 ;;
	--rounds) rounds=$2; shift ;;
	--warm) warm=$2; shift ;;
	--perf) perf=1 ;;
	--) shift; mount_opts=("$@"); break ;;
	*) die "usage: bench/vec_read.sh [--quick] [--rounds N] [--warm N] [--perf] [-- MOUNT OPTIONS]" ;;
	esac
	shift
done

ensure_tools
ensure_lancefs
ensure_lancedb
warn_not_root

# ------------------------------------------------------------------ the dataset

ensure_vec_dataset "$ROWS" "$DIM"
db=$VEC_DB ds=$VEC_DS
bytes=$((ROWS * DIM * 4))
scratch_dir
mnt=$SCRATCH/mnt

# ------------------------------------------------------------------ the readers
# Each round measures every reader once, interleaved, so that a change in the machine's
# load (other work on its cores) hits all of them alike.

# lancefs_cat_round: a fresh mount, cat data/vec.bin cold, then $warm times warm.
lancefs_cat_round() {
	local w h perf_pid
	mount_lancefs "$ds" "$mnt" "${mount_opts[@]+"${mount_opts[@]}"}"
	drop_caches
	measure cat "$mnt/data/vec.bin"
	lfs_cold+=("$M_WALL") lfs_cold_cpu+=("$M_CPU")
	cold_reads=$(lfs_stat "$mnt" fuse_reads)
	for w in $(seq 1 "$warm"); do
		drop_file_cache "$mnt/data/vec.bin"
		measure cat "$mnt/data/vec.bin"
		lfs_warm+=("$M_WALL") lfs_warm_cpu+=("$M_CPU")
	done
	warm_reads=$((($(lfs_stat "$mnt" fuse_reads) - cold_reads) / warm))
	for w in $(seq 1 "$warm"); do
		measure cat "$mnt/data/vec.bin"
		pc_warm+=("$M_WALL") pc_warm_cpu+=("$M_CPU")
	done
	pc_reads=$((($(lfs_stat "$mnt" fuse_reads) - cold_reads - warm_reads * warm) / warm))
	if [ "$r" = 1 ] && [ "$perf" = 1 ]; then
		say "perf record of the daemon during $warm warm reads"
		# dwarf: lancefs is built without frame pointers
		perf record -q --call-graph dwarf,16384 -o "$DATA/perf-vec_read.data" -p "$LFS_PID" 2>/dev/null &
		perf_pid=$!
		sleep 0.5
		for w in $(seq 1 "$warm"); do
			drop_file_cache "$mnt/data/vec.bin"
			cat "$mnt/data/vec.bin" >/dev/null
		done
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
	fi
	[ "$r" = 1 ] && lfs_sha=$(sha256sum <"$mnt/data/vec.bin" | cut -d' ' -f1)
	evictions=$(lfs_stat "$mnt" cache_evictions)
	h=$(peak_rss_mb "$LFS_PID")
	[ "$h" -gt "$lfs_hwm" ] && lfs_hwm=$h
	umount_lancefs "$mnt"
}

# numpy_round: a fresh mount, numpy.load(data/vec.npy) cold, then $warm times warm (each load
# opens the file again, after its pages were dropped from the kernel's cache).
numpy_round() {
	local out walls cpus ws cs sha
	mount_lancefs "$ds" "$mnt" "${mount_opts[@]+"${mount_opts[@]}"}"
	drop_caches
	out=$("$PY" "$BENCH/numpy_load.py" "$mnt/data/vec.npy" "$warm" "$LFS_PID" \
		"$([ "$r" = 1 ] && echo --sha256 || echo --no-sha256)")
	read -r walls cpus np_shape sha <<<"$out"
	np_shape=${np_shape/\// }
	IFS=, read -r -a ws <<<"$walls"
	IFS=, read -r -a cs <<<"$cpus"
	np_cold+=("${ws[0]}") np_cold_cpu+=("${cs[0]}")
	np_warm+=("${ws[@]:1}") np_warm_cpu+=("${cs[@]:1}")
	[ "$r" = 1 ] && np_sha=$sha
	umount_lancefs "$mnt"
}

# lancedb_round: a fresh node process: open, drop the page cache, query cold, then $warm
# times warm.
lancedb_round() {
	local args=(--reps "$warm") json first warms cpu_first cpu_warms rss open sha ws cs
	[ "$IS_ROOT" = 1 ] && args+=(--drop-caches)
	[ "$r" = 1 ] && args+=(--sha256)
	json=$(node "$BENCH/lancedb_read.mjs" "$db" vec vec "${args[@]}")
	read -r first warms cpu_first cpu_warms rss open sha ldb_version ldb_rows <<<"$(node -e '
		const o = JSON.parse(process.argv[1]);
		console.log(o.first_s, o.warm_s.join(","), o.first_cpu_s, o.warm_cpu_s.join(","),
			Math.round(o.max_rss_kb / 1024), o.open_s, o.sha256 || "-", o.lancedb, o.rows)' "$json")"
	IFS=, read -r -a ws <<<"$warms"
	IFS=, read -r -a cs <<<"$cpu_warms"
	ldb_cold+=("$first") ldb_cold_cpu+=("$cpu_first")
	ldb_warm+=("${ws[@]}") ldb_warm_cpu+=("${cs[@]}")
	ldb_open+=("$open")
	[ "$rss" -gt "$ldb_rss" ] && ldb_rss=$rss
	[ "$r" = 1 ] && ldb_sha=$sha
	return 0
}

lfs_cold=() lfs_cold_cpu=() lfs_warm=() lfs_warm_cpu=() lfs_hwm=0 evictions=0
np_cold=() np_cold_cpu=() np_warm=() np_warm_cpu=() pc_warm=() pc_warm_cpu=()
ldb_cold=() ldb_cold_cpu=() ldb_warm=() ldb_warm_cpu=() ldb_rss=0 ldb_open=()
load_before=$(cut -d' ' -f1 /proc/loadavg)
for r in $(seq 1 "$rounds"); do
	say "round $r/$rounds: lancefs cat, numpy.load, LanceDB toArrow (cold, then $warm warm each)"
	lancefs_cat_round
	numpy_round
	lancedb_round
done
load_after=$(cut -d' ' -f1 /proc/loadavg)

# ------------------------------------------------------------------ report

lc=$(median "${lfs_cold[@]}") lw=$(median "${lfs_warm[@]}")
dc=$(median "${ldb_cold[@]}") dw=$(median "${ldb_warm[@]}")
lwc=$(median "${lfs_warm_cpu[@]}")
dcc=$(median "${ldb_cold_cpu[@]}") dwc=$(median "${ldb_warm_cpu[@]}")
match=MISMATCH np_match=MISMATCH
[ "$lfs_sha" = "$ldb_sha" ] && match=MATCH
[ "$np_sha" = "$ldb_sha" ] && np_match=MATCH
[ "$ldb_rows" = "$ROWS" ] || match="MISMATCH (LanceDB read $ldb_rows rows)"

# row LABEL REF_WALL REF_CPU WALLS_VAR CPUS_VAR: median wall, spread, MB/s, wall ratio to
# LanceDB, median CPU, CPU ratio to LanceDB
row() {
	local label=$1 refw=$2 refc=$3 m c
	local -n walls=$4 cpus=$5
	m=$(median "${walls[@]}")
	c=$(median "${cpus[@]}")
	printf '  %-46s %7.3f  %-11s %6s  %6s  %6.2f  %6s\n' "$label" "$m" "$(spread "${walls[@]}")" \
		"$(mbps "$bytes" "$m")" "$([ "$refw" = - ] && echo - || ratio "$m" "$refw")" \
		"$c" "$([ "$refc" = - ] && echo - || ratio "$c" "$refc")"
}

echo
echo "== vec_read: $ROWS rows x $DIM float32 = $((bytes / 1000000)) MB, storage version 2.1, 10 fragments"
machine_line
echo "load average (1 min) $load_before at the start, $load_after at the end (other work on the machine inflates wall times)"
echo "lancefs $("$LANCEFS" --version | awk '{ print $2 }') ($(git -C "$TOP" describe --always --dirty 2>/dev/null || echo '?')), mount options: ${mount_opts[*]:-(defaults)}; LanceDB $ldb_version (node $(node --version)); $rounds rounds, $warm warm reads each"
printf '  %-46s %7s  %-11s %6s  %6s  %6s  %6s\n' "" "wall s" "min-max" "MB/s" "/LDB" "CPU s" "/LDB"
row "cold  lancefs  cat data/vec.bin" "$dc" "$dcc" lfs_cold lfs_cold_cpu
row "cold  lancefs  numpy.load(data/vec.npy)" "$dc" "$dcc" np_cold np_cold_cpu
row "cold  LanceDB  query().select(['vec']).toArrow()" - - ldb_cold ldb_cold_cpu
row "warm  lancefs  cat data/vec.bin" "$dw" "$dwc" lfs_warm lfs_warm_cpu
row "warm  lancefs  numpy.load(data/vec.npy)" "$dw" "$dwc" np_warm np_warm_cpu
row "warm  LanceDB  query().select(['vec']).toArrow()" - - ldb_warm ldb_warm_cpu
row "page cache     cat data/vec.bin (kernel cache)" "$dw" "$dwc" pc_warm pc_warm_cpu
echo "  (/LDB: lancefs time divided by LanceDB's, lower is better; CPU s: the reader's CPU time plus the lancefs daemon's)"
echo "  LanceDB connect+openTable (not in the times above): median $(median "${ldb_open[@]}") s"
echo "  peak RSS: lancefs daemon $lfs_hwm MB (VmHWM), node+LanceDB $ldb_rss MB (maxRSS)"
echo "  FUSE: $cold_reads read requests for the cold cat, $warm_reads per warm cat ($(awk -v n="$warm_reads" -v b="$bytes" 'BEGIN { printf "%.0f", b / n / 1024 }') KiB each on average); $pc_reads per page-cache cat; block cache evictions $evictions"
echo "  bytes: sha256 of data/vec.bin vs LanceDB's Float32Array: $match; numpy.load ($np_shape): $np_match"
cold_ratio=$(ratio "$lc" "$dc")
warm_speedup=$(ratio "$dw" "$lw")
warm_speedup_cpu=$(ratio "$dwc" "$lwc")
echo "  targets: warm lancefs >= 2x faster than LanceDB: $(awk -v s="$warm_speedup" 'BEGIN { print (s >= 2 ? "MET" : "NOT MET") }') (${warm_speedup}x wall, ${warm_speedup_cpu}x CPU);" \
	"cold no slower: $(awk -v r="$cold_ratio" 'BEGIN { print (r <= 1 ? "MET" : "NOT MET") }') (time ratio $cold_ratio)"

record vec_cold_lancefs_s "$lc"
record vec_cold_lancedb_s "$dc"
record vec_warm_lancefs_s "$lw"
record vec_warm_lancedb_s "$dw"
record vec_cold_numpy_s "$(median "${np_cold[@]}")"
record vec_warm_numpy_s "$(median "${np_warm[@]}")"
record vec_pagecache_s "$(median "${pc_warm[@]}")"
record vec_warm_lancefs_mbps "$(mbps "$bytes" "$lw")"
record vec_cold_ratio "$cold_ratio"
record vec_warm_speedup "$warm_speedup"
record vec_warm_speedup_cpu "$warm_speedup_cpu"
record vec_bytes_match "$match"
record vec_lancefs_rss_mb "$lfs_hwm"
record vec_lancedb_rss_mb "$ldb_rss"

if [ "$perf" = 1 ]; then
	echo
	echo "== perf: lancefs daemon during $warm warm reads: self time by symbol (top 20)"
	{ perf report -i "$DATA/perf-vec_read.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
		grep -v '^#' | grep '%' | head -20; } || true
	echo "== perf: call chains of the symbols above 10% (perf report -i $DATA/perf-vec_read.data)"
	{ perf report -i "$DATA/perf-vec_read.data" --no-children --sort symbol --stdio -G --percent-limit 10 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -60; } || true
fi
