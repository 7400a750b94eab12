#!/usr/bin/env bash
# bench/s3_read.sh: the vector column read from an S3-compatible server on loopback, through
# lancefs mounted from s3:// and through LanceDB, side by side in one run (issues 5 and 6).
#
#   bench/s3_read.sh [--quick] [--rounds N] [--warm N] [--latency-ms "LIST"] [-- MOUNT OPTIONS]
#
#   --quick       1 round of 1 warm read per latency (default: 3 rounds of 2)
#   --latency-ms  first-byte latencies to add to every request, in ms (default "0 50"): 0 is
#                 the bare loopback server; 50 is closer to S3 seen from outside its
#                 region, where a reader that waits for one request before sending the next
#                 pays the latency once per request
#
# The server is the S3 test server of tests/s3 (s3rver, which checks SigV4 signatures),
# started with tests/s3/lib.sh on 127.0.0.1 with fresh credentials; the dataset of
# bench/vec_read.sh (1,000,000 x 128 float32, written by LanceDB) is uploaded to it. Both
# readers talk to it through bench/s3count.mjs, a pass-through proxy that counts requests
# and the bytes of the answers (and logs each request), so each reader's traffic is measured
# on the wire. The latency comes from tests/s3/faultproxy.mjs (mode delay, every request)
# between the counting proxy and the server.
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
latencies="0 50"
mount_opts=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) rounds=1 warm=1 ;;
	--rounds) rounds=$2; shift ;;
	--warm) warm=$2; shift ;;
	--latency-ms) latencies=$2; shift ;;
	--) shift; mount_opts=("$@"); break ;;
	*) die "usage: bench/s3_read.sh [--quick] [--rounds N] [--warm N] [--latency-ms LIST] [-- MOUNT OPTIONS]" ;;
	esac
	shift
done

ensure_tools
command -v curl >/dev/null || die "curl is not installed"
ensure_lancefs

# The S3 pieces are another engineer's; say precisely what is missing, if anything.
missing=()
for f in tests/s3/lib.sh tests/s3/server.mjs tests/s3/upload.mjs tests/s3/faultproxy.mjs \
	tests/s3/package-lock.json; do
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
uri=s3://bench/vec/vec.lance
scratch_dir
mnt=$SCRATCH/mnt

COUNT_PID='' PROXY=''
# start_counter UPSTREAM: (re)starts the counting proxy in front of UPSTREAM; sets PROXY.
start_counter() {
	if [ -n "$COUNT_PID" ]; then
		kill "$COUNT_PID" 2>/dev/null || true
		wait "$COUNT_PID" 2>/dev/null || true
		untrack_pid "$COUNT_PID"
	fi
	rm -f "$S3_WORK/count.port"
	: >"$S3_WORK/requests.log"
	node "$BENCH/s3count.mjs" --upstream "$1" --port-file "$S3_WORK/count.port" --timeout-s 3600 \
		--log "$S3_WORK/requests.log" 2>"$S3_WORK/count.log" </dev/null &
	COUNT_PID=$!
	track_pid "$COUNT_PID"
	local i
	for i in $(seq 1 100); do
		[ -s "$S3_WORK/count.port" ] && break
		kill -0 "$COUNT_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$S3_WORK/count.port" ] || die "s3count.mjs did not start: $(cat "$S3_WORK/count.log")"
	PROXY=http://127.0.0.1:$(cat "$S3_WORK/count.port")
}

# "requests bytes" through the counting proxy so far
io() { curl -sf "$PROXY/__counts" | node -e 'let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
	const c = JSON.parse(s); console.log(c.requests, c.bytes) })'; }
io_since() { # "REQ BYTES" before -> "REQ BYTES" since
	local r0 b0 r1 b1
	read -r r0 b0 <<<"$1"
	read -r r1 b1 <<<"$(io)"
	echo "$((r1 - r0)) $((b1 - b0))"
}
# The mean number of requests in flight over the requests logged from line FROM on:
# the sum of their durations over the time from the first start to the last end.
concurrency() {
	tail -n "+$1" "$S3_WORK/requests.log" | awk 'NR == 1 || $1 < a { a = $1 } $2 > b { b = $2 } { busy += $2 - $1 }
		END { if (b > a) printf "%.1f\n", busy / (b - a); else print "0" }'
}
log_lines() { wc -l <"$S3_WORK/requests.log"; }

# CPU seconds the server and the proxies have used (node processes that move every byte)
server_cpu() {
	local p sum=0
	for p in "$S3_PID" "$COUNT_PID" ${PROXY_PID:-}; do
		sum=$(awk -v a="$sum" -v b="$(cpu_s_of "$p")" 'BEGIN { printf "%.2f", a + b }')
	done
	echo "$sum"
}
server_cpu_since() { awk -v a="$1" -v b="$(server_cpu)" 'BEGIN { printf "%.2f", b - a }'; }

# lancefs_read KIND (cold|warm): one cat of data/vec.bin, recorded under KIND.
lancefs_read() {
	local c o l req b
	c=$(io) o=$(server_cpu) l=$(($(log_lines) + 1))
	measure cat "$mnt/data/vec.bin"
	read -r req b <<<"$(io_since "$c")"
	eval "lfs_$1+=(\"\$M_WALL\") lfs_$1_cpu+=(\"\$M_CPU\") lfs_$1_req+=(\"\$req\") lfs_$1_b+=(\"\$b\")"
	eval "lfs_$1_srv+=(\"\$(server_cpu_since \"\$o\")\") lfs_$1_par+=(\"\$(concurrency \"\$l\")\")"
}

# one_setting LATENCY_MS: every round of both readers with that latency added; prints a table.
one_setting() {
	local lat=$1 r w h c req json a
	local first fcpu freq fb fsrv warms wcpus wreqs wbs wsrvs oreq rss sha l
	if [ "$lat" = 0 ]; then
		proxy_stop
		start_counter "$S3_ENDPOINT"
	else
		proxy_start --modes delay --every 1 --delay-ms "$lat" || die "faultproxy did not start"
		start_counter "$PROXY_ENDPOINT"
	fi
	lfs_cold=() lfs_cold_cpu=() lfs_cold_req=() lfs_cold_b=() lfs_cold_srv=() lfs_cold_par=()
	lfs_warm=() lfs_warm_cpu=() lfs_warm_req=() lfs_warm_b=() lfs_warm_srv=() lfs_warm_par=()
	ldb_cold=() ldb_cold_cpu=() ldb_cold_req=() ldb_cold_b=() ldb_cold_srv=() ldb_cold_par=()
	ldb_warm=() ldb_warm_cpu=() ldb_warm_req=() ldb_warm_b=() ldb_warm_srv=()
	lfs_mount_req=() ldb_open_req=() lfs_hwm=0 ldb_rss=0
	local load_before load_after
	load_before=$(cut -d' ' -f1 /proc/loadavg)
	for r in $(seq 1 "$rounds"); do
		say "latency $lat ms, round $r/$rounds: lancefs and LanceDB from s3:// (cold, then $warm warm each)"
		c=$(io)
		mount_lancefs "$uri" "$mnt" --endpoint "$PROXY" --region "$AWS_REGION" --path-style \
			"${mount_opts[@]+"${mount_opts[@]}"}"
		ls "$mnt/data" >/dev/null
		read -r req _ <<<"$(io_since "$c")"
		lfs_mount_req+=("$req")
		drop_caches
		lancefs_read cold
		for w in $(seq 1 "$warm"); do
			drop_file_cache "$mnt/data/vec.bin"
			lancefs_read warm
		done
		[ "$r" = 1 ] && lfs_sha=$(sha256sum <"$mnt/data/vec.bin" | cut -d' ' -f1)
		h=$(peak_rss_mb "$LFS_PID")
		[ "$h" -gt "$lfs_hwm" ] && lfs_hwm=$h
		umount_lancefs "$mnt"

		# LanceDB; the keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, never argv
		args=(--reps "$warm" --counter "$PROXY" --cpu-of "$S3_PID,$COUNT_PID${PROXY_PID:+,$PROXY_PID}"
			--storage "endpoint=$PROXY" --storage "region=$AWS_REGION" --storage allow_http=true)
		[ "$IS_ROOT" = 1 ] && args+=(--drop-caches)
		[ "$r" = 1 ] && args+=(--sha256)
		l=$(($(log_lines) + 1))
		json=$(node "$BENCH/lancedb_read.mjs" s3://bench/vec vec vec "${args[@]}")
		read -r first fcpu freq fb fsrv warms wcpus wreqs wbs wsrvs oreq rss sha ldb_version ldb_rows <<<"$(node -e '
			const o = JSON.parse(process.argv[1]);
			const f2 = (x) => x.toFixed(2);
			console.log(o.first_s, o.first_cpu_s, o.first_io.requests, o.first_io.bytes, f2(o.first_other_cpu_s),
				o.warm_s.join(","), o.warm_cpu_s.join(","), o.warm_io.map((x) => x.requests).join(","),
				o.warm_io.map((x) => x.bytes).join(","), o.warm_other_cpu_s.map(f2).join(","), o.open_io.requests,
				Math.round(o.max_rss_kb / 1024), o.sha256 || "-", o.lancedb, o.rows)' "$json")"
		# the cold read's requests: those after the open's, up to the first warm read's
		ldb_cold_par+=("$(tail -n "+$((l + oreq))" "$S3_WORK/requests.log" | head -n "$freq" |
			awk 'NR == 1 || $1 < a { a = $1 } $2 > b { b = $2 } { busy += $2 - $1 }
				END { if (b > a) printf "%.1f\n", busy / (b - a); else print "0" }')")
		ldb_cold+=("$first") ldb_cold_cpu+=("$fcpu") ldb_cold_req+=("$freq") ldb_cold_b+=("$fb") ldb_cold_srv+=("$fsrv")
		IFS=, read -r -a a <<<"$warms"; ldb_warm+=("${a[@]}")
		IFS=, read -r -a a <<<"$wcpus"; ldb_warm_cpu+=("${a[@]}")
		IFS=, read -r -a a <<<"$wreqs"; ldb_warm_req+=("${a[@]}")
		IFS=, read -r -a a <<<"$wbs"; ldb_warm_b+=("${a[@]}")
		IFS=, read -r -a a <<<"$wsrvs"; ldb_warm_srv+=("${a[@]}")
		ldb_open_req+=("$oreq")
		[ "$rss" -gt "$ldb_rss" ] && ldb_rss=$rss
		[ "$r" = 1 ] && ldb_sha=$sha
	done
	load_after=$(cut -d' ' -f1 /proc/loadavg)
	report "$lat" "$load_before" "$load_after"
}

row() { # LABEL REF_WALL REF_CPU WALLS CPUS REQS BYTES SERVER_CPUS [CONCURRENCY] (array names)
	local label=$1 refw=$2 refc=$3 m c par=-
	local -n walls=$4 cpus=$5 reqs=$6 bs=$7 srv=$8
	if [ -n "${9:-}" ]; then
		local -n pars=$9
		par=$(median "${pars[@]}" | awk '{ printf "%.1f", $1 }')
	fi
	m=$(median "${walls[@]}") c=$(median "${cpus[@]}")
	printf '  %-40s %7.3f  %-11s %5s  %5s  %5.2f  %5s  %5s  %6s  %5s  %6.2f\n' "$label" "$m" "$(spread "${walls[@]}")" \
		"$(mbps "$bytes" "$m")" "$([ "$refw" = - ] && echo - || ratio "$m" "$refw")" "$c" \
		"$([ "$refc" = - ] && echo - || ratio "$c" "$refc")" "$(median "${reqs[@]}" | cut -d. -f1)" \
		"$(awk -v b="$(median "${bs[@]}")" 'BEGIN { printf "%.1f", b / 1e6 }')" "$par" "$(median "${srv[@]}")"
}

report() { # LATENCY LOAD_BEFORE LOAD_AFTER
	local lat=$1 dc dw dcc dwc lc lw match=MISMATCH
	dc=$(median "${ldb_cold[@]}") dw=$(median "${ldb_warm[@]}")
	dcc=$(median "${ldb_cold_cpu[@]}") dwc=$(median "${ldb_warm_cpu[@]}")
	lc=$(median "${lfs_cold[@]}") lw=$(median "${lfs_warm[@]}")
	[ "$lfs_sha" = "$ldb_sha" ] && [ "$ldb_rows" = "$ROWS" ] && match=MATCH
	echo
	echo "== s3_read, latency +$lat ms: $ROWS x $DIM float32 ($((bytes / 1000000)) MB) from s3rver on 127.0.0.1 (SigV4 checked)"
	machine_line
	echo "load average (1 min) $2 at the start, $3 at the end; upload took $upload_s s; $rounds rounds, $warm warm reads each"
	echo "lancefs mount options: --endpoint --region --path-style ${mount_opts[*]:-}; LanceDB $ldb_version"
	printf '  %-40s %7s  %-11s %5s  %5s  %5s  %5s  %5s  %6s  %5s  %6s\n' "" "wall s" "min-max" "MB/s" "/LDB" \
		"CPU s" "/LDB" "reqs" "MB" "par" "server"
	row "cold  lancefs  cat data/vec.bin" "$dc" "$dcc" lfs_cold lfs_cold_cpu lfs_cold_req lfs_cold_b lfs_cold_srv lfs_cold_par
	row "cold  LanceDB  select(['vec']).toArrow()" - - ldb_cold ldb_cold_cpu ldb_cold_req ldb_cold_b ldb_cold_srv ldb_cold_par
	row "warm  lancefs  cat data/vec.bin" "$dw" "$dwc" lfs_warm lfs_warm_cpu lfs_warm_req lfs_warm_b lfs_warm_srv
	row "warm  LanceDB  select(['vec']).toArrow()" - - ldb_warm ldb_warm_cpu ldb_warm_req ldb_warm_b ldb_warm_srv
	echo "  (CPU s: the reader's, plus the lancefs daemon's; reqs, MB: requests and answer bytes on the wire;"
	echo "   par: requests in flight on average while reading; server: CPU s of s3rver and the proxies; medians)"
	echo "  opening: lancefs mount + ls data/ $(median "${lfs_mount_req[@]}" | cut -d. -f1) requests;" \
		"LanceDB connect + openTable $(median "${ldb_open_req[@]}" | cut -d. -f1) requests"
	echo "  peak RSS: lancefs daemon $lfs_hwm MB, node+LanceDB $ldb_rss MB"
	echo "  bytes: sha256 of data/vec.bin (lancefs on S3) vs LanceDB's Float32Array (on S3): $match"
	record "s3_${lat}ms_cold_lancefs_s" "$lc"
	record "s3_${lat}ms_cold_lancedb_s" "$dc"
	record "s3_${lat}ms_warm_lancefs_s" "$lw"
	record "s3_${lat}ms_warm_lancedb_s" "$dw"
	record "s3_${lat}ms_cold_ratio" "$(ratio "$lc" "$dc")"
	record "s3_${lat}ms_warm_speedup" "$(ratio "$dw" "$lw")"
	record "s3_${lat}ms_cold_requests" "$(median "${lfs_cold_req[@]}" | cut -d. -f1)/$(median "${ldb_cold_req[@]}" | cut -d. -f1)"
	record "s3_${lat}ms_cold_concurrency" \
		"$(median "${lfs_cold_par[@]}" | awk '{ printf "%.1f", $1 }')/$(median "${ldb_cold_par[@]}" | awk '{ printf "%.1f", $1 }')"
	record "s3_${lat}ms_bytes_match" "$match"
}

for lat in $latencies; do
	one_setting "$lat"
done
record s3_latencies "${latencies// /,}"
