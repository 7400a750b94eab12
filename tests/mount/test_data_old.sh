#!/bin/bash
# Issue 4: Lance 2.0 and legacy (0.1) files, and a dataset mixing file
# versions across fragments, served exactly as LanceDB reads them back.
. "$top_srcdir/tests/mount/lib.sh"
fixtures
CMP="$top_srcdir/tests/mount/compare.py"
plan $((2 * 7 + 2))

for ds in types_2_0 types_legacy; do
	M="$WORK/$ds"
	mount_ds "$FIX/$ds.lance" "$M" || bail "mount of $ds failed"
	for kind in jsonl txt npy csv rows fragments deleted; do
		check "$ds: $kind agrees with LanceDB" $PY "$CMP" $kind "$M" "$FIX/expected/$ds.json" latest
	done
done
M="$WORK/mixed"
mount_ds "$FIX/mixed.lance" "$M" || bail "mount of mixed failed"
check "mixed: fragments hold legacy, 2.0 and 2.1 files" bash -c '
	v=$(cat "$0"/versions/*/manifest.json | grep -o "\"file_version\": \"[^\"]*\"" | sort -u | tr "\n" " ")
	echo "$v" | grep -q "\"0.2\"" && echo "$v" | grep -q "\"2.0\"" && echo "$v" | grep -q "\"2.1\"" || { echo "$v"; exit 1; }' "$M"
versions=$($PY -c 'import json,sys; print(" ".join(str(v["version"]) for v in json.load(open(sys.argv[1]))["versions"]))' "$FIX/expected/mixed.json")
check "mixed: every version agrees with LanceDB in every view" bash -c '
	for v in $2; do for k in jsonl txt npy csv rows fragments; do
		$PY "$0" $k "$1/versions/$v" "$3" $v || { echo "version $v $k"; exit 1; }
	done; done' "$CMP" "$M" "$versions" "$FIX/expected/mixed.json"
finish
