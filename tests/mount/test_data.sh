#!/bin/bash
# Issue 3: every column of the Lance 2.1 and 2.2 fixtures is served exactly
# as LanceDB reads it back — data/*.jsonl, .txt, .npy/.valid.npy/.bin,
# rows.jsonl, rows.csv, per fragment too — and any byte range of any file
# equals the same range of a whole read, also with concurrent readers.
. "$top_srcdir/tests/mount/lib.sh"
fixtures
CMP="$top_srcdir/tests/mount/compare.py"
sets="types_2_1 types_2_2 options_2_1 empty multi_file deletions"
plan $((6 * 7 + 4 + 3))

for ds in $sets; do
	M="$WORK/$ds"
	mount_ds "$FIX/$ds.lance" "$M" || bail "mount of $ds failed"
	for kind in jsonl txt npy csv rows fragments; do
		check "$ds: $kind agrees with LanceDB" $PY "$CMP" $kind "$M" "$FIX/expected/$ds.json" latest
	done
	check "$ds: deleted rows are the rows LanceDB showed before" $PY "$CMP" deleted "$M" "$FIX/expected/$ds.json" latest
done

M="$WORK/types_2_1"
check "numpy.load of a vector column: float32, (rows, 16)" $PY -c '
import numpy as np, sys
a = np.load(sys.argv[1] + "/data/vector.npy", mmap_mode="r")
assert a.dtype == np.float32 and a.ndim == 2 and a.shape[1] == 16, (a.dtype, a.shape)' "$M"
check "head -c and dd skip= read the same bytes as a whole read" bash -c '
	f="$0/data/vector.bin"
	cmp <(head -c 1000 "$f") <(cat "$f" | head -c 1000) &&
	cmp <(dd if="$f" bs=4096 skip=3 count=5 2>/dev/null) <(cat "$f" | tail -c +12289 | head -c 20480)' "$M"
check "stat of .npy/.bin reads no column data" bash -c '
	ls "$0/versions/1/data" >/dev/null # loads the manifest, not columns
	before=$(grep "^lancefs_store_bytes " "$0/.lancefs/stats" | cut -d" " -f2)
	stat -c %s "$0/versions/1/data/int64.npy" "$0/versions/1/data/vector.bin" >/dev/null
	after=$(grep "^lancefs_store_bytes " "$0/.lancefs/stats" | cut -d" " -f2)
	[ "$before" = "$after" ] || { echo "read $((after - before)) bytes"; exit 1; }' "$M"
check "ranges at random offsets, 8 threads, equal slices of whole reads" $PY "$top_srcdir/tests/mount/ranges.py" 1 \
	"$M/data/vector.npy" "$M/data/utf8.jsonl" "$M/data/float32.txt" "$M/rows.jsonl" "$M/rows.csv" \
	"$M/data/list_list_int64.jsonl" "$M/fragments/0/data/int64.bin"

H="$WORK/history"
mount_ds "$FIX/history.lance" "$H" || bail "mount of history failed"
versions=$($PY -c 'import json,sys; print(" ".join(str(v["version"]) for v in json.load(open(sys.argv[1]))["versions"]))' "$FIX/expected/history.json")
check "history: every version's rows.jsonl agrees with LanceDB" bash -c '
	for v in $2; do $PY "$0" rows "$1/versions/$v" "$3" $v || { echo "version $v"; exit 1; }; done' "$CMP" "$H" "$versions" "$FIX/expected/history.json"
check "history: every version's fragments agree with LanceDB" bash -c '
	for v in $2; do $PY "$0" fragments "$1/versions/$v" "$3" $v || { echo "version $v"; exit 1; }; done' "$CMP" "$H" "$versions" "$FIX/expected/history.json"
check "history: deleted rows of every version" bash -c '
	for v in $2; do $PY "$0" deleted "$1/versions/$v" "$3" $v || { echo "version $v"; exit 1; }; done' "$CMP" "$H" "$versions" "$FIX/expected/history.json"
finish
