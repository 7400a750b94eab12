#!/bin/bash
# Issue 8: query/ files.  LanceDB's exact search answers (tests/search/
# make_data.mjs: every metric over float16/32/64 vectors, filters, k, columns,
# deleted rows, old versions, tags) come back the same through the mount,
# from 8 threads at once; bad queries fail close() with EINVAL and read back
# {"error": ...}; ls and rm work.
. "$top_srcdir/tests/mount/lib.sh"
fixtures
DATA=$("$top_srcdir/tests/search/lancedb.sh" --data-only) || bail "LanceDB's search data could not be written"
M="$WORK/db"
plan 12
mount_ds "$DATA/db" "$M" || bail "mount failed"

check "every case agrees with LanceDB (8 threads)" $PY "$top_srcdir/tests/mount/query_check.py" "$M" "$DATA/cases.json"

# bad_query NAME TEXT PATTERN: close() fails with EINVAL and the file reads
# back one {"error": ...} line matching PATTERN
bad_query() {
	$PY - "$M/vectors/query/$1" "$2" "$3" <<'PY'
import errno, json, os, re, sys
path, text, pattern = sys.argv[1:4]
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
os.write(fd, text.encode())
try:
    os.close(fd)
    sys.exit("close() succeeded")
except OSError as e:
    if e.errno != errno.EINVAL:
        sys.exit("close() failed with %s, not EINVAL" % e)
lines = open(path).read().splitlines()
if len(lines) != 1:
    sys.exit("%d lines" % len(lines))
msg = json.loads(lines[0])["error"]
if not re.search(pattern, msg):
    sys.exit("message %r does not match %r" % (msg, pattern))
PY
}
check "invalid JSON: EINVAL and where" bad_query json '{"nearest": ' 'line 1'
check "unknown column" bad_query unknown '{"columns": ["nope"]}' 'nope'
check "vector of the wrong dimension" bad_query dim '{"nearest": {"column": "vector", "vector": [1, 2, 3]}}' '3'
check "filter that does not parse, with its place" bad_query syntax '{"filter": "year >"}' 'character'
check "filter comparing a string with a number" bad_query types "{\"filter\": \"label > 5\"}" 'label'
check "unknown metric" bad_query metric '{"nearest": {"column": "vector", "vector": [0], "metric": "manhattan"}}' 'metric'
check "a version that does not exist" bad_query version '{"version": 999}' '999'
check "ls query/ lists the query files" sh -c '[ "$(ls "$0/vectors/query" | tr "\n" " ")" = "dim json metric syntax types unknown version " ]' "$M"
check "rm removes a query file" sh -c 'rm "$0/vectors/query/json" && ! test -e "$0/vectors/query/json" && ! ls "$0/vectors/query" | grep -qx json' "$M"
check "a scan with limit and offset (id 4 was deleted)" sh -c '
	printf "%s" "{\"columns\": [\"id\"], \"filter\": \"id < 100\", \"offset\": 5, \"limit\": 3}" > "$0/vectors/query/scan" &&
	[ "$(cut -d, -f1 "$0/vectors/query/scan" | tr "\n" " ")" = "{\"id\": 6 {\"id\": 7 {\"id\": 8 " ]' "$M"
check "writes outside query/ still fail with EROFS" sh -c '(echo x > "$0/vectors/new") 2>&1 | grep -q "Read-only"' "$M"
finish
