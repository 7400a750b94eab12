# tests/mount/lib.sh: shared helpers for the mount tests (TAP output).
#
#   . "$top_srcdir/tests/mount/lib.sh"
#   plan 5
#   fixtures                 # builds the LanceDB fixture corpus once: $FIX
#   mount_ds "$FIX/history.lance" "$MNT"   # mounts in the background, waits
#   ok "$(cat "$MNT/schema.json" | ...)" "schema reads"
#
# Every mount is unmounted when the test exits, whatever happens.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
: "${LANCEFS:=$top_builddir/lancefs}"
PY=/usr/bin/python3
export PY LANCEFS top_srcdir top_builddir
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lancefs-$TEST_NAME.XXXXXX")
MOUNTS=""
PIDS=""
T_N=0
T_FAILED=0

cleanup() {
	for m in $MOUNTS; do
		fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	for p in $PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

plan() { echo "1..$1"; }
ok() { # ok CONDITION_EXIT_STATUS DESCRIPTION  — use: check "desc" cmd args...
	T_N=$((T_N + 1))
	if [ "$1" = 0 ]; then echo "ok $T_N - $2"; else echo "not ok $T_N - $2"; T_FAILED=1; fi
}
# check DESCRIPTION COMMAND...: runs the command, passes when it exits 0.
check() {
	local desc=$1; shift
	local out
	if out=$("$@" 2>&1); then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		printf '%s\n' "$out" | head -20 | sed 's/^/# /'
	fi
}
# check_fails DESCRIPTION COMMAND...: passes when the command fails.
check_fails() {
	local desc=$1; shift
	if "$@" >/dev/null 2>&1; then ok 1 "$desc"; else ok 0 "$desc"; fi
}
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
bail() { echo "Bail out! $*"; exit 1; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# The fixture corpus written by LanceDB (tests/fixtures/setup.sh), built
# once per build tree; parallel tests wait for each other with a lock.
fixtures() {
	FIX="$top_builddir/tests/fixtures/out"
	mkdir -p "$top_builddir/tests/fixtures"
	(
		flock 9
		"$top_srcdir/tests/fixtures/setup.sh" "$FIX" >"$top_builddir/tests/fixtures/setup.log" 2>&1
	) 9>"$top_builddir/tests/fixtures/.lock" || {
		tail -30 "$top_builddir/tests/fixtures/setup.log" | sed 's/^/# /'
		bail "fixture generation failed"
	}
	export FIX
}

# mount_ds URI MOUNTPOINT [lancefs options...]: mounts in the foreground
# process in the background, logging to $WORK/NAME.log, and waits for it.
mount_ds() {
	local uri=$1 mnt=$2; shift 2
	mkdir -p "$mnt"
	local log="$WORK/$(basename "$mnt").log"
	"$LANCEFS" mount -f "$@" "$uri" "$mnt" >"$log" 2>&1 &
	local pid=$!
	PIDS="$PIDS $pid"
	MOUNTS="$MOUNTS $mnt"
	for _ in $(seq 1 200); do
		if mountpoint -q "$mnt" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			diag "lancefs exited before mounting:"
			sed 's/^/# /' "$log"
			return 1
		fi
		sleep 0.05
	done
	diag "mount of $uri timed out"
	return 1
}


unmount_ds() {
	fusermount3 -u "$1"
}

# The log of the mount at MOUNTPOINT.
mount_log() { cat "$WORK/$(basename "$1").log"; }

# Sanitizer reports or crashes in any daemon's log fail the test, with the
# report shown (the logs are deleted with $WORK).
daemon_reports() {
	local bad=0
	for log in "$WORK"/*.log; do
		[ -f "$log" ] || continue
		if grep -qE "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|Segmentation fault|Aborted" "$log"; then
			diag "$(basename "$log"):"
			grep -E -A25 "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:" "$log" | head -60 | sed 's/^/# /'
			bad=1
		fi
	done
	return $bad
}

finish() {
	# unmounted daemons exit by themselves (writing any sanitizer report);
	# other helpers in PIDS (servers, proxies) are stopped after a while
	for m in $MOUNTS; do fusermount3 -u "$m" 2>/dev/null; done
	for _ in $(seq 1 100); do
		alive=""
		for p in $PIDS; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.05
	done
	daemon_reports || T_FAILED=1
	exit "$T_FAILED"
}
