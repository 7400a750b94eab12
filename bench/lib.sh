# bench/lib.sh: shared helpers for the benchmark scripts (sourced, bash).
#
#   . "$(dirname "$0")/lib.sh"
#
# Sets BENCH (this directory), TOP (the checkout), DATA (bench/data, git-ignored) and
# RESULTS (bench/data/results); builds lancefs unless $LANCEFS names a binary; installs the
# pinned LanceDB into tests/fixtures/gen/node_modules when missing. Every mount and server
# started through these helpers is stopped when the script exits, however it exits.

set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$BENCH")
DATA=$BENCH/data
RESULTS=$DATA/results
PY=/usr/bin/python3 # has numpy (the python3 on PATH may not)
mkdir -p "$DATA" "$RESULTS"

say() { echo "[$(basename "$0" .sh)] $*" >&2; }
die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# ------------------------------------------------------------------ cleanup

_mounts=()  # mount points to unmount
_pids=()    # processes to stop (daemons, servers)
_tmpdirs=() # directories to remove
_hooks=()   # commands to run after the unmounts (e.g. stopping a server)

cleanup() {
	local m p d
	for m in "${_mounts[@]+"${_mounts[@]}"}"; do
		if mountpoint -q "$m" 2>/dev/null; then
			fusermount3 -u "$m" 2>/dev/null || fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		fi
	done
	for p in "${_hooks[@]+"${_hooks[@]}"}"; do
		eval "$p" || true
	done
	for p in "${_pids[@]+"${_pids[@]}"}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${_pids[@]+"${_pids[@]}"}"; do
		wait "$p" 2>/dev/null || true
	done
	for d in "${_tmpdirs[@]+"${_tmpdirs[@]}"}"; do
		# never recurse into a mount that would not go away
		if awk -v d="$d/" 'index($2, d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
			echo "$(basename "$0"): $d still has a mount in it; left in place" >&2
		else
			rm -rf "$d"
		fi
	done
}
trap cleanup EXIT
set -o errtrace
trap 'echo "$(basename "$0"): command failed at line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT TERM HUP

# A fresh scratch directory in SCRATCH, removed at exit (call it directly, not in $(...),
# which would forget it).
scratch_dir() {
	SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/lancefs-bench.XXXXXX")
	_tmpdirs+=("$SCRATCH")
}

# Remember a process to stop, or a mount point to unmount, at exit.
track_pid() { _pids+=("$1"); }
track_mount() { _mounts+=("$1"); }
# Run a command at exit, after the unmounts.
on_exit() { _hooks+=("$1"); }
# Forget a process that has exited (and been waited for): its id may be reused.
untrack_pid() {
	local p keep=()
	for p in "${_pids[@]+"${_pids[@]}"}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	_pids=("${keep[@]+"${keep[@]}"}")
}

# wait_mount MOUNTPOINT PID: waits until MOUNTPOINT is mounted (up to 10 s) while PID lives.
wait_mount() {
	local i
	for i in $(seq 1 200); do
		mountpoint -q "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# ------------------------------------------------------------------ tools

# Commands every script needs.
ensure_tools() {
	local t
	for t in node fusermount3 mountpoint sha256sum flock /usr/bin/time "$PY"; do
		command -v "$t" >/dev/null || die "$t is not installed"
	done
}

# lancefs: $LANCEFS, or built with scripts/build.sh into $BENCH_BUILD (default build/).
ensure_lancefs() {
	if [ -n "${LANCEFS:-}" ]; then
		[ -x "$LANCEFS" ] || die "LANCEFS=$LANCEFS is not an executable"
		return
	fi
	local dir=${BENCH_BUILD:-$TOP/build}
	say "building lancefs in $dir (scripts/build.sh)"
	"$TOP/scripts/build.sh" "$dir" >&2 || die "scripts/build.sh failed"
	LANCEFS=$dir/lancefs
}

# The pinned LanceDB (tests/fixtures/gen/package-lock.json), installed as
# tests/fixtures/setup.sh installs it, under the same lock.
ensure_lancedb() {
	local gen=$TOP/tests/fixtures/gen sum
	command -v node >/dev/null || die "node is not installed"
	sum=$(sha256sum <"$gen/package-lock.json" | cut -d' ' -f1)
	if [ "$(cat "$gen/node_modules/.lancefs-lock-sha256" 2>/dev/null)" = "$sum" ] &&
		[ -f "$gen/node_modules/@lancedb/lancedb/package.json" ]; then
		return
	fi
	say "installing LanceDB into $gen/node_modules (npm ci)"
	flock "$gen" sh -c 'cd "$1" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error &&
		echo "$2" > node_modules/.lancefs-lock-sha256' sh "$gen" "$sum" >&2 ||
		die "npm ci failed in $gen"
}

# ensure_vec_dataset ROWS DIM: the vector table written by LanceDB (bench/gen_vec.mjs) into
# bench/data/vec-ROWSxDIM/vec.lance, once: it is rewritten only when the generator or the
# pinned LanceDB changes. Sets VEC_DB (the database directory) and VEC_DS (the table).
ensure_vec_dataset() {
	local rows=$1 dim=$2 db stamp
	db=$DATA/vec-${rows}x$dim
	stamp=$(cat "$BENCH/gen_vec.mjs" "$TOP/tests/fixtures/gen/package-lock.json" | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$db/.stamp" 2>/dev/null)" != "$stamp" ]; then
		say "writing the dataset with LanceDB into $db (once)"
		rm -rf "$db"
		node "$BENCH/gen_vec.mjs" "$db" "$rows" "$dim" 100000 \
			2> >(grep -v 'No existing dataset' >&2 || true) || die "gen_vec.mjs failed"

		echo "$stamp" >"$db/.stamp"
	fi
	VEC_DB=$db VEC_DS=$db/vec.lance
}

# ------------------------------------------------------------------ measuring

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1

# Empties the kernel page cache (and dentries/inodes), so the next read comes from disk.
drop_caches() {
	sync
	if [ "$IS_ROOT" = 1 ]; then
		echo 3 >/proc/sys/vm/drop_caches
	fi
}

# Drops the kernel's cached pages of one file (posix_fadvise DONTNEED through GNU dd), so
# the next read of a FUSE file goes to the daemon again; other files keep their pages.
drop_file_cache() {
	dd if="$1" iflag=nocache count=0 status=none
}

warn_not_root() {
	[ "$IS_ROOT" = 1 ] || say "WARNING: not root: the page cache cannot be dropped, 'cold' figures are NOT cold"
}

now_ns() { date +%s%N; }

# Seconds (float) the command takes; its stdout goes to /dev/null, its stderr stays.
time_s() {
	local t0 t1
	t0=$(now_ns)
	"$@" >/dev/null
	t1=$(now_ns)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }'
}

# CPU seconds (user + system) a process has used so far; 10 ms resolution.
cpu_s_of() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$1/stat"
}

# measure CMD...: runs CMD (stdout to /dev/null); sets M_WALL to its wall-clock seconds and
# M_CPU to the CPU seconds it used, plus those of the FUSE daemon MEASURE_PID (default: the
# lancefs daemon LFS_PID) when set, since the daemon does the work of a read through FUSE. CPU time is what to compare when the
# machine is busy with other work: it does not grow with waiting for a core.
measure() {
	local t0 t1 d0=0 d1=0 tf daemon=${MEASURE_PID:-${LFS_PID:-}}
	tf=$DATA/.time.$$
	[ -n "$daemon" ] && d0=$(cpu_s_of "$daemon")
	t0=$(now_ns)
	/usr/bin/time -f '%U %S' -o "$tf" "$@" >/dev/null
	t1=$(now_ns)
	[ -n "$daemon" ] && d1=$(cpu_s_of "$daemon")
	M_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 }')
	M_CPU=$(awk -v d0="$d0" -v d1="$d1" '{ printf "%.2f\n", $1 + $2 + d1 - d0 }' "$tf")
	rm -f "$tf"
}

# The median of the numbers given.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) printf "%.4f\n", v[(NR + 1) / 2]
		else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The smallest of the numbers given.
minimum() { printf '%s\n' "$@" | sort -g | head -1; }

# min and max of the numbers given, as "MIN-MAX".
spread() {
	printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f-%.3f\n", lo, hi }'
}

# Megabytes (10^6) per second for BYTES in SECONDS.
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f\n", b / 1e6 / s; else print "inf" }'; }

# A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "nan" }'; }

# Peak resident memory (VmHWM) of a process, in MB.
peak_rss_mb() {
	awk '/^VmHWM:/ { printf "%.0f\n", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"
}

# The value of one counter from a mounted lancefs's .lancefs/stats.
lfs_stat() {
	awk -v k="lancefs_$2" '$1 == k { print $2 }' "$1/.lancefs/stats"
}

# Appends "NAME VALUE" to the result file of this script (read by bench/run.sh).
record() { echo "$1 $2" >>"$RESULT_FILE"; }
RESULT_FILE=$RESULTS/$(basename "$0" .sh).txt
: >"$RESULT_FILE"

machine_line() {
	local cpu
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	echo "machine: $(nproc) cores ($cpu), $(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
}

# ------------------------------------------------------------------ lancefs mounts

LFS_PID= # the daemon of the last mount_lancefs

# mount_lancefs URI MOUNTPOINT [lancefs options...]: mounts in the foreground (in the
# background of this shell) and waits until the mount is up; sets LFS_PID.
mount_lancefs() {
	local uri=$1 mnt=$2 log
	shift 2
	mkdir -p "$mnt"
	log=$DATA/lancefs-$(basename "$mnt").log
	"$LANCEFS" mount -f "$@" "$uri" "$mnt" >"$log" 2>&1 &
	LFS_PID=$!
	_mounts+=("$mnt")
	_pids+=("$LFS_PID")
	wait_mount "$mnt" "$LFS_PID" && return 0
	cat "$log" >&2
	die "lancefs mount of $uri at $mnt failed (log above)"
}

# umount_lancefs MOUNTPOINT: unmounts and waits for the daemon of the last mount to exit.
umount_lancefs() {
	fusermount3 -u "$1"
	wait "$LFS_PID" 2>/dev/null || true
	untrack_pid "$LFS_PID"
	LFS_PID=
}
