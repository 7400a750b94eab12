#!/bin/bash
# Issue 7: a dataset that LanceDB changes while it is mounted.  New versions
# appear (the root follows them), every versions/N equals what LanceDB reads
# after checkout(N), an open file keeps the version it was opened at, tags
# and times resolve as in LanceDB, and versions removed by cleanup vanish.
. "$top_srcdir/tests/mount/lib.sh"
fixtures
CMP="$top_srcdir/tests/mount/compare.py"
LIVE="$top_srcdir/tests/mount/live.mjs"
D="$WORK/live/t.lance"
EXP="$WORK/expected.json"
M="$WORK/mnt"
steps="append delete_few delete_many update compact add_column alter_column drop_column"
plan $((1 + 4 * 8 + 8))

# step NAME: LanceDB changes the table; prints the new latest version, and
# fails (showing LanceDB's error) when LanceDB did
step() {
	if ! node "$LIVE" "$D" "$1" "$EXP" >"$WORK/live.out" 2>"$WORK/live.err"; then
		grep -iE "error" "$WORK/live.err" | head -3 | sed 's/^/# /' >&2
		return 1
	fi
	tail -1 "$WORK/live.out"
}
expected_versions() { $PY -c 'import json,sys; print(" ".join(str(v["version"]) for v in json.load(open(sys.argv[1]))["versions"]))' "$EXP"; }
# waits (up to 20 s) until the mount's root shows version $1
root_at() {
	for _ in $(seq 1 200); do
		[ "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$M/manifest.json" 2>/dev/null)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

v=$(step create) || bail "LanceDB could not create the table: $(cat "$WORK/live.err")"
mount_ds "$D" "$M" --refresh 1 || bail "mount failed"
exec 3<"$M/rows.jsonl"          # opened at version 1, kept open throughout
cp "$M/versions/1/rows.jsonl" "$WORK/v1.jsonl"
check "version 1 agrees with LanceDB" $PY "$CMP" rows "$M" "$EXP" 1

for s in $steps; do
	v=$(step $s) || { ok 1 "LanceDB step $s"; cat "$WORK/live.err" | sed 's/^/# /'; continue; }
	check "$s: the root moves to version $v" root_at "$v"
	check "$s: versions/ lists what LanceDB lists" sh -c '[ "$(ls "$0/versions" | grep -v latest | sort -n | tr "\n" " ")" = "$1 " ]' "$M" "$(expected_versions)"
	check "$s: the root and versions/$v agree with LanceDB" sh -c '
		$PY "$0" rows "$1" "$2" $3 && $PY "$0" schema "$1" "$2" $3 && $PY "$0" rows "$1/versions/$3" "$2" $3 && $PY "$0" fragments "$1/versions/$3" "$2" $3' "$CMP" "$M" "$EXP" "$v"
	check "$s: every older version still agrees" bash -c '
		for o in $4; do [ $o = $3 ] && continue; $PY "$0" rows "$1/versions/$o" "$2" $o || { echo "version $o"; exit 1; }; done' "$CMP" "$M" "$EXP" "$v" "$(expected_versions)"
done

check "an open file keeps reading the version it was opened at" sh -c 'cat <&3 | cmp - "$0"' "$WORK/v1.jsonl"
exec 3<&-
v=$(step tag) || diag "LanceDB could not tag"
check "tags/live-tag points where LanceDB's tag does" sh -c '
	want=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))[\"tags\"][\"live-tag\"])" "$1")
	[ "$(readlink "$0/tags/live-tag")" = "../versions/$want" ] && $PY "$2" rows "$0/tags/live-tag" "$1" $want' "$M" "$EXP" "$CMP"
check "versions/@TIME resolves to the newest version at or before TIME" $PY - "$M" "$EXP" <<'PY'
import datetime, json, os, sys
m, exp = sys.argv[1], json.load(open(sys.argv[2]))
vs = exp["versions"]
for i, v in enumerate(vs):
    t = datetime.datetime.fromisoformat(v["timestamp"].replace("Z", "+00:00"))
    # LanceDB reports milliseconds; the manifest keeps nanoseconds
    probe = (t + datetime.timedelta(milliseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    got = os.readlink(os.path.join(m, "versions", "@" + probe))
    if got != str(v["version"]):
        sys.exit("@%s -> %s, expected %s" % (probe, got, v["version"]))
early = (datetime.datetime.fromisoformat(vs[0]["timestamp"].replace("Z", "+00:00")) - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
if os.path.lexists(os.path.join(m, "versions", "@" + early)):
    sys.exit("a time before the first version resolves")
PY
check "versions/@TIME accepts a date and an offset" sh -c 'test -L "$0/versions/@2100-01-01" && test -L "$0/versions/@2100-01-01T00:00:00+02:00"' "$M"

before=$(expected_versions)
v=$(step cleanup) || diag "LanceDB's cleanup failed"
gone=$(for o in $before; do echo " $(expected_versions) " | grep -q " $o " || echo $o; done | head -1)
[ -n "$gone" ] || diag "LanceDB's cleanup removed no version"
check "cleanup: removed versions vanish from versions/" sh -c '[ "$(ls "$0/versions" | grep -v latest | sort -n | tr "\n" " ")" = "$1 " ]' "$M" "$(expected_versions)"
# the kernel may trust a looked-up name for its entry timeout (1 s)
check "cleanup: a removed version's directory is gone (within the entry timeout)" sh -c '
	[ -n "$1" ] || exit 1
	for i in $(seq 1 40); do test -e "$0/versions/$1/rows.jsonl" || exit 0; sleep 0.1; done; exit 1' "$M" "$gone"
check "cleanup: the remaining versions still agree" bash -c '
	for o in $3; do $PY "$0" rows "$1/versions/$o" "$2" $o || exit 1; done' "$CMP" "$M" "$EXP" "$(expected_versions)"
check "the daemon logged no errors" sh -c '! grep -q "error" "$0"' "$WORK/mnt.log"
finish
