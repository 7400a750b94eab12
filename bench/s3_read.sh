#!/usr/bin/env bash
# bench/s3_read.sh: the vector column read from an S3-compatible server on loopback, through
# lancefs mounted from s3:// and through LanceDB, side by side in one run (issues 5 and 6).
#
#   bench/s3_read.sh [--quick] [--rounds N] [--warm N] [-- LANCEFS MOUNT OPTIONS]
#
#   --quick     2 rounds of 1 warm read (default: 3 rounds of 2)
#
# The server is the S3 test server of tests/s3 (s3rver, which checks SigV4 signatures),
# started with tests/s3/lib.sh on 127.0.0.1 with fresh credentials; the dataset of
# bench/vec_read.sh (1,000,000 x 128 float32, written by LanceDB) is uploaded to it. Both
# readers talk to it through bench/s3count.mjs, a pass-through proxy that counts requests
# and the bytes of the answers, so each reader's traffic is measured on the wire.
#
#   cold  the page cache is dropped (the server's files too) after the dataset was opened;
#         lancefs is a fresh mount, LanceDB a fresh process
#   warm  lancefs: the same mount again, the kernel's pages of data/vec.bin dropped so the
#         daemon serves every byte (from its block cache); LanceDB: the same process again
#         (LanceDB keeps no data cache: it fetches the column again)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROWS=1000000
DIM=128
rounds=3
warm=2
mount_opts=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) rounds=2 warm=1 ;;
	--rounds) rounds=$2; shift ;;
	--warm) warm=$2; shift ;;
	--) shift; mount_opts=("$@"); break ;;
	*) die "usage: bench/s3_read.sh [--quick] [--rounds N] [--warm N] [-- MOUNT OPTIONS]" ;;
	esac
	shift
done

ensure_tools
command -v curl >/dev/null || die "curl is not installed"
ensure_lancefs

# The S3 pieces are another engineer's; say precisely what is missing, if anything.
missing=()
for f in tests/s3/lib.sh tests/s3/server.mjs tests/s3/upload.mjs tests/s3/package-lock.json; do
	[ -f "$TOP/$f" ] || missing+=("$f")
done
"$LANCEFS" --help 2>&1 | grep -q -- --endpoint || missing+=("lancefs mount --endpoint")
if [ ${#missing[@]} -gt 0 ]; then
	echo
	echo "== s3_read: SKIPPED, missing: ${missing[*]}"
	record s3_skipped "${missing[*]// /_}"
	exit 0
fi

ensure_lancedb
ensure_vec_dataset "$ROWS" "$DIM"
bytes=$((ROWS * DIM * 4))
warn_not_root

# shellcheck source=../tests/s3/lib.sh
. "$TOP/tests/s3/lib.sh"
on_exit s3_cleanup
say "starting the S3 test server (tests/s3/lib.sh) and uploading $VEC_DB"
S3_BUCKETS=bench S3_SILENT=1 S3_TIMEOUT_S=3600 s3_start || die "the S3 test server did not start"
t0=$(now_ns)
s3_upload_dir "$VEC_DB" bench vec >/dev/null || die "upload to the S3 test server failed"
upload_s=$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')

node "$BENCH/s3count.mjs" --upstream "$S3_ENDPOINT" --port-file "$S3_WORK/count.port" --timeout-s 3600 \
	2>"$S3_WORK/count.log" </dev/null &
COUNT_PID=$!
track_pid "$COUNT_PID"
for i in $(seq 1 100); do
	[ -s "$S3_WORK/count.port" ] && break
	kill -0 "$COUNT_PID" 2>/dev/null || break
	sleep 0.1
done
[ -s "$S3_WORK/count.port" ] || die "s3count.mjs did not start: $(cat "$S3_WORK/count.log")"
PROXY=http://127.0.0.1:$(cat "$S3_WORK/count.port")
uri=s3://bench/vec/vec.lance

# "requests bytes" through the proxy so far
io() { curl -sf "$PROXY/__counts" | node -e 'let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
	const c = JSON.parse(s); console.log(c.requests, c.bytes) })'; }
io_since() { # "REQ BYTES" before -> "REQ BYTES" since
	local r0 b0 r1 b1
	read -r r0 b0 <<<"$1"
	read -r r1 b1 <<<"$(io)"
	echo "$((r1 - r0)) $((b1 - b0))"
}

mnt=$(scratch_dir)/mnt
lfs_cold=() lfs_cold_cpu=() lfs_cold_req=() lfs_cold_b=()
lfs_warm=() lfs_warm_cpu=() lfs_warm_req=() lfs_warm_b=() lfs_mount_req=() lfs_hwm=0
ldb_cold=() ldb_cold_cpu=() ldb_cold_req=() ldb_cold_b=()
ldb_warm=() ldb_warm_cpu=() ldb_warm_req=() ldb_warm_b=() ldb_open_req=() ldb_rss=0
load_before=$(cut -d' ' -f1 /proc/loadavg)
for r in $(seq 1 "$rounds"); do
	say "round $r/$rounds: lancefs from s3:// and LanceDB from s3:// (cold, then $warm warm each)"
	# lancefs
	c=$(io)
	mount_lancefs "$uri" "$mnt" --endpoint "$PROXY" --region "$AWS_REGION" --path-style \
		"${mount_opts[@]+"${mount_opts[@]}"}"
	ls "$mnt/data" >/dev/null
	read -r req _ <<<"$(io_since "$c")"
	lfs_mount_req+=("$req")
	drop_caches
	c=$(io)
	measure cat "$mnt/data/vec.bin"
	read -r req b <<<"$(io_since "$c")"
	lfs_cold+=("$M_WALL") lfs_cold_cpu+=("$M_CPU") lfs_cold_req+=("$req") lfs_cold_b+=("$b")
	for w in $(seq 1 "$warm"); do
		drop_file_cache "$mnt/data/vec.bin"
		c=$(io)
		measure cat "$mnt/data/vec.bin"
		read -r req b <<<"$(io_since "$c")"
		lfs_warm+=("$M_WALL") lfs_warm_cpu+=("$M_CPU") lfs_warm_req+=("$req") lfs_warm_b+=("$b")
	done
	[ "$r" = 1 ] && lfs_sha=$(sha256sum <"$mnt/data/vec.bin" | cut -d' ' -f1)
	h=$(peak_rss_mb "$LFS_PID")
	[ "$h" -gt "$lfs_hwm" ] && lfs_hwm=$h
	umount_lancefs "$mnt"

	# LanceDB (the keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, never argv)
	args=(--reps "$warm" --counter "$PROXY" --storage "endpoint=$PROXY" --storage "region=$AWS_REGION"
		--storage allow_http=true)
	[ "$IS_ROOT" = 1 ] && args+=(--drop-caches)
	[ "$r" = 1 ] && args+=(--sha256)
	json=$(node "$BENCH/lancedb_read.mjs" s3://bench/vec vec vec "${args[@]}")
	read -r first fcpu freq fb warms wcpus wreqs wbs oreq rss sha ldb_version ldb_rows <<<"$(node -e '
		const o = JSON.parse(process.argv[1]);
		console.log(o.first_s, o.first_cpu_s, o.first_io.requests, o.first_io.bytes,
			o.warm_s.join(","), o.warm_cpu_s.join(","), o.warm_io.map((x) => x.requests).join(","),
			o.warm_io.map((x) => x.bytes).join(","), o.open_io.requests,
			Math.round(o.max_rss_kb / 1024), o.sha256 || "-", o.lancedb, o.rows)' "$json")"
	ldb_cold+=("$first") ldb_cold_cpu+=("$fcpu") ldb_cold_req+=("$freq") ldb_cold_b+=("$fb")
	IFS=, read -r -a a <<<"$warms"; ldb_warm+=("${a[@]}")
	IFS=, read -r -a a <<<"$wcpus"; ldb_warm_cpu+=("${a[@]}")
	IFS=, read -r -a a <<<"$wreqs"; ldb_warm_req+=("${a[@]}")
	IFS=, read -r -a a <<<"$wbs"; ldb_warm_b+=("${a[@]}")
	ldb_open_req+=("$oreq")
	[ "$rss" -gt "$ldb_rss" ] && ldb_rss=$rss
	[ "$r" = 1 ] && ldb_sha=$sha
done
load_after=$(cut -d' ' -f1 /proc/loadavg)

# ------------------------------------------------------------------ report

row() { # LABEL REF_WALL REF_CPU WALLS CPUS REQS BYTES (array names)
	local label=$1 refw=$2 refc=$3 m c
	local -n walls=$4 cpus=$5 reqs=$6 bs=$7
	m=$(median "${walls[@]}") c=$(median "${cpus[@]}")
	printf '  %-40s %7.3f  %-11s %6s  %6s  %6.2f  %6s  %6s  %8s\n' "$label" "$m" "$(spread "${walls[@]}")" \
		"$(mbps "$bytes" "$m")" "$([ "$refw" = - ] && echo - || ratio "$m" "$refw")" "$c" \
		"$([ "$refc" = - ] && echo - || ratio "$c" "$refc")" "$(median "${reqs[@]}" | cut -d. -f1)" \
		"$(awk -v b="$(median "${bs[@]}")" 'BEGIN { printf "%.1f", b / 1e6 }')"
}
dc=$(median "${ldb_cold[@]}") dw=$(median "${ldb_warm[@]}")
dcc=$(median "${ldb_cold_cpu[@]}") dwc=$(median "${ldb_warm_cpu[@]}")
match=MISMATCH
[ "$lfs_sha" = "$ldb_sha" ] && [ "$ldb_rows" = "$ROWS" ] && match=MATCH

echo
echo "== s3_read: $ROWS x $DIM float32 ($((bytes / 1000000)) MB) from s3rver on 127.0.0.1 (SigV4 checked) through a counting proxy"
machine_line
echo "load average (1 min) $load_before at the start, $load_after at the end; upload took $upload_s s; $rounds rounds, $warm warm reads each"
echo "lancefs mount options: --endpoint --region --path-style ${mount_opts[*]:-}; LanceDB $ldb_version"
printf '  %-40s %7s  %-11s %6s  %6s  %6s  %6s  %6s  %8s\n' "" "wall s" "min-max" "MB/s" "/LDB" "CPU s" "/LDB" "reqs" "MB moved"
row "cold  lancefs  cat data/vec.bin" "$dc" "$dcc" lfs_cold lfs_cold_cpu lfs_cold_req lfs_cold_b
row "cold  LanceDB  select(['vec']).toArrow()" - - ldb_cold ldb_cold_cpu ldb_cold_req ldb_cold_b
row "warm  lancefs  cat data/vec.bin" "$dw" "$dwc" lfs_warm lfs_warm_cpu lfs_warm_req lfs_warm_b
row "warm  LanceDB  select(['vec']).toArrow()" - - ldb_warm ldb_warm_cpu ldb_warm_req ldb_warm_b
echo "  (CPU s: the reader's, plus the lancefs daemon's; not the server's or the proxy's. reqs and MB moved: on the wire, medians)"
echo "  opening: lancefs mount + ls data/ $(median "${lfs_mount_req[@]}" | cut -d. -f1) requests; LanceDB connect + openTable $(median "${ldb_open_req[@]}" | cut -d. -f1) requests"
echo "  peak RSS: lancefs daemon $lfs_hwm MB, node+LanceDB $ldb_rss MB"
echo "  bytes: sha256 of data/vec.bin (lancefs on S3) vs LanceDB's Float32Array (on S3): $match"

record s3_cold_lancefs_s "$(median "${lfs_cold[@]}")"
record s3_cold_lancedb_s "$dc"
record s3_warm_lancefs_s "$(median "${lfs_warm[@]}")"
record s3_warm_lancedb_s "$dw"
record s3_cold_ratio "$(ratio "$(median "${lfs_cold[@]}")" "$dc")"
record s3_warm_speedup "$(ratio "$dw" "$(median "${lfs_warm[@]}")")"
record s3_cold_lancefs_requests "$(median "${lfs_cold_req[@]}")"
record s3_cold_lancedb_requests "$(median "${ldb_cold_req[@]}")"
record s3_bytes_match "$match"
