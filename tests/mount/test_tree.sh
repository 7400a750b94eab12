#!/bin/bash
# Issue 2: the mount shows a dataset's structure — schema.json, manifest.json,
# fragments/, versions/ (both manifest naming schemes), raw/ byte for byte,
# .lancefs/stats, database directories — read-only, and bad input fails
# cleanly.  Compared with what LanceDB reports (tests/fixtures).
. "$top_srcdir/tests/mount/lib.sh"
fixtures
H="$FIX/history.lance"
EXP="$FIX/expected/history.json"
MNT="$WORK/mnt"
versions=$($PY -c 'import json,sys; print(" ".join(str(v["version"]) for v in json.load(open(sys.argv[1]))["versions"]))' "$EXP")
latest=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["latest_version"])' "$EXP")
nv=$(echo $versions | wc -w)
plan $((28 + 3 * nv))

check "lancefs --version" sh -c '"$LANCEFS" --version | grep -q "^lancefs "'
check "lancefs --help shows mount usage" sh -c '"$LANCEFS" --help | grep -q "lancefs mount"'
mount_ds "$H" "$MNT" || bail "mount failed"

check "root lists the tree" sh -c 'ls "$0" | tr "\n" " " | grep -q "data fragments indices manifest.json query raw rows.csv rows.jsonl schema.json tags versions"' "$MNT"
check "schema.json agrees with LanceDB" $PY "$top_srcdir/tests/mount/compare.py" schema "$MNT" "$EXP" "$latest"
check "manifest.json agrees with LanceDB" $PY "$top_srcdir/tests/mount/compare.py" manifest "$MNT" "$EXP" "$latest"
check "versions/ lists every version" sh -c '[ "$(ls "$0/versions" | grep -v latest | sort -n | tr "\n" " ")" = "$1 " ]' "$MNT" "$versions"
check "versions/latest points at the newest" sh -c '[ "$(readlink "$0/versions/latest")" = "$1" ]' "$MNT" "$latest"
for v in $versions; do
	check "versions/$v/schema.json agrees with LanceDB" $PY "$top_srcdir/tests/mount/compare.py" schema "$MNT/versions/$v" "$EXP" "$v"
	check "versions/$v/manifest.json agrees with LanceDB" $PY "$top_srcdir/tests/mount/compare.py" manifest "$MNT/versions/$v" "$EXP" "$v"
	check "versions/$v/fragments lists the manifest's fragments" sh -c '
		want=$($PY -c "import json,sys; print(\" \".join(str(f[\"id\"]) for f in json.load(open(sys.argv[1]))[\"fragments\"]))" "$0/manifest.json")
		have=$(ls "$0/fragments" | sort -n | tr "\n" " ")
		[ "$have" = "$want " ] && for f in $want; do $PY -m json.tool "$0/fragments/$f/fragment.json" >/dev/null || exit 1; done' "$MNT/versions/$v"
done
check "raw/ equals the dataset's files byte for byte" sh -c '
	cd "$0" && find . -type f | while read -r f; do cmp -s "$f" "$1/raw/$f" || { echo "differs: $f"; exit 1; }; done' "$H" "$MNT"
check "raw/ lists the same files" sh -c '[ "$(cd "$0" && find . -type f | sort)" = "$(cd "$1/raw" && find . -type f | sort)" ]' "$H" "$MNT"
big=$(find "$H/data" -type f -printf "%s %p\n" | sort -n | tail -1 | cut -d" " -f2)
rel=${big#$H/}
check "raw/ ranges: dd skip= at odd offsets" bash -c '
	for off in 1 7 333 4095; do
		cmp <(dd if="$0" bs=1 skip=$off count=1000 2>/dev/null) <(dd if="$1" bs=1 skip=$off count=1000 2>/dev/null) || exit 1
	done' "$big" "$MNT/raw/$rel"
check "writes fail with EROFS" sh -c '
	touch "$0/new" 2>&1 | grep -q "Read-only" && mkdir "$0/d" 2>&1 | grep -q "Read-only" &&
	(echo x > "$0/schema.json") 2>&1 | grep -q "Read-only" && rm -f "$0/schema.json" 2>&1 | grep -q "Read-only"' "$MNT"
check ".lancefs/stats counts store traffic and reads" sh -c '
	stat() { grep "^lancefs_$1 " "$0/.lancefs/stats" | cut -d" " -f2; }
	a=$(stat fuse_read_bytes)
	cat "$0/raw/$1" >/dev/null
	b=$(stat fuse_read_bytes)
	[ "$b" -gt "$a" ] && [ "$(stat store_requests)" -gt 0 ] && [ "$(stat store_bytes)" -gt 0 ] &&
	grep -q "^# TYPE lancefs_store_requests counter" "$0/.lancefs/stats"' "$MNT" "$rel"
unmount_ds "$MNT"

# A LanceDB database directory: one directory per table
mount_ds "$FIX/db" "$WORK/db" || bail "database mount failed"
check "database root lists its tables" sh -c '[ "$(ls "$0" | tr "\n" " ")" = "alpha beta " ]' "$WORK/db"
check "each table has its tree" sh -c 'test -f "$0/alpha/schema.json" && test -f "$0/beta/manifest.json" && ls "$0/beta/versions" | grep -q latest' "$WORK/db"
unmount_ds "$WORK/db"

# Branches: their own versions and tags, data shared with main
B="$WORK/branches"
mount_ds "$FIX/branches.lance" "$B" || bail "branches mount failed"
$PY -c '
import json, sys
e = json.load(open(sys.argv[1]))
b = e["branches"]["dev"]
json.dump({"latest_version": b["latest_version"], "per_version": b["per_version"]}, open(sys.argv[2], "w"))' \
	"$FIX/expected/branches.json" "$WORK/dev.json"
check "branches/ lists the branches" sh -c '[ "$(ls "$0/branches")" = "dev" ]' "$B"
check "every version of branch dev agrees with LanceDB" bash -c '
	for v in $(ls "$0/branches/dev/versions" | grep -v latest); do
		$PY "$1" rows "$0/branches/dev/versions/$v" "$2" $v && $PY "$1" fragments "$0/branches/dev/versions/$v" "$2" $v || { echo "version $v"; exit 1; }
	done && $PY "$1" rows "$0/branches/dev" "$2" latest' "$B" "$top_srcdir/tests/mount/compare.py" "$WORK/dev.json"
check "tags point into the right branch" sh -c '
	[ "$(readlink "$0/tags/dev-tip")" = "../branches/dev/versions/4" ] &&
	[ "$(readlink "$0/tags/main-v1")" = "../versions/1" ] &&
	[ "$(readlink "$0/branches/dev/tags/dev-tip")" = "../versions/4" ] &&
	test -f "$0/tags/dev-tip/rows.jsonl"' "$B"
unmount_ds "$B"

# Without -f the daemon detaches, like sshfs, and serves until unmounted
mkdir -p "$WORK/bg"
check "lancefs mount without -f returns and serves in the background" sh -c '
	"$LANCEFS" mount "$0" "$1" && mountpoint -q "$1" && test -s "$1/schema.json" && fusermount3 -u "$1"' "$H" "$WORK/bg"
check "-o options reach FUSE (fsname shows in /proc/mounts)" sh -c '
	"$LANCEFS" mount -o fsname=lancefs-test "$0" "$1" && grep -q "^lancefs-test $1 fuse.lancefs" /proc/mounts; r=$?; fusermount3 -u "$1"; exit $r' "$H" "$WORK/bg"

# Bad input: the mount fails at once, naming what is wrong
bad_mount() { # DIR EXPECTED_MESSAGE
	local out
	out=$("$LANCEFS" mount "$1" "$WORK/badmnt" 2>&1) && { fusermount3 -u "$WORK/badmnt"; return 1; }
	echo "$out" | grep -q "$2" || { echo "message: $out"; return 1; }
}
mkdir -p "$WORK/badmnt" "$WORK/empty"
check "an empty directory is refused" bad_mount "$WORK/empty" "not a Lance dataset"
newest=$(ls "$H/_versions" | grep manifest | sort | head -1) # inverted names: newest first
for kind in truncated empty random notmanifest; do
	D="$WORK/$kind.lance"
	cp -r "$H" "$D"
	case $kind in
	truncated) head -c 100 "$H/_versions/$newest" > "$D/_versions/$newest" ;;
	empty) : > "$D/_versions/$newest" ;;
	random) head -c 2000 /dev/urandom > "$D/_versions/$newest" ;;
	notmanifest) echo '{"version": 99}' > "$D/_versions/$newest" ;;
	esac
done
check "a truncated newest manifest is refused, naming the file" bad_mount "$WORK/truncated.lance" "$newest"
check "an empty newest manifest is refused, naming the file" bad_mount "$WORK/empty.lance" "$newest"
check "a random-bytes manifest is refused, naming the file" bad_mount "$WORK/random.lance" "$newest"
check "a version file that is not a manifest is refused" bad_mount "$WORK/notmanifest.lance" "$newest"
D="$WORK/flags.lance"; cp -r "$H" "$D"
$PY "$top_srcdir/tests/mount/patch_flags.py" "$D/_versions/$newest" 0x10000000
check "an unknown reader feature flag is refused" bad_mount "$D" "feature flags"

# A damaged old version: only that version's files fail, with EIO and a log line
D="$WORK/oldbad.lance"; cp -r "$H" "$D"
oldest=$(ls "$H/_versions" | grep manifest | sort | tail -1)
head -c 50 "$H/_versions/$oldest" > "$D/_versions/$oldest"
first=$(echo $versions | cut -d" " -f1)
mount_ds "$D" "$WORK/oldbad" || bail "mount with a damaged old version failed"
check "the damaged version's files fail with EIO" sh -c 'cat "$0/versions/$1/schema.json" 2>&1 | grep -q "Input/output error"' "$WORK/oldbad" "$first"
check "the log names the damaged file" sh -c 'grep -q "$1" "$0"' "$WORK/oldbad.log" "$oldest"
check "the daemon keeps serving the other versions" sh -c 'test -s "$0/versions/$1/schema.json" && test -s "$0/schema.json"' "$WORK/oldbad" "$latest"
finish
