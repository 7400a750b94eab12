#!/bin/sh
# Exact k-nearest-neighbour search, lancefs vs LanceDB, on the same files in one run.
#
#   bench/knn.sh [BUILD_DIR]
#
# Writes (once) a table of $ROWS x $DIM float32 vectors with LanceDB, storage version 2.1
# (bench/knn_data.mjs), then times $QUERIES queries of k = $K, warm ($WARMUP untimed runs,
# then $RUNS timed ones each, median reported):
#   - LanceDB: tbl.query().nearestTo(q).bypassVectorIndex().limit(K) (bench/knn_lancedb.mjs)
#   - lancefs: lfs_query_run on a query file, as a query/ file runs on a mount
#     (bench/knn_query), reading the files directly and through the block cache (-c) as a
#     mount does.
# and checks that both return the same rows.
#
# Environment: ROWS (1000000), DIM (128), BATCH (250000 rows per fragment), K (10),
# QUERIES (5), RUNS (5), WARMUP (2), METRIC (l2), THREADS (all CPUs),
# KNN_DATA (the table's directory; default $BUILD_DIR/bench/knn-data).
# BUILD_DIR is a configured lancefs build tree (default: the current directory); the
# script builds bench/knn_query there. LanceDB comes from tests/fixtures/gen/node_modules
# (installed by tests/fixtures/setup.sh when missing).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
build=$(cd "${1:-.}" && pwd)
ROWS=${ROWS:-1000000} DIM=${DIM:-128} BATCH=${BATCH:-250000} K=${K:-10}
QUERIES=${QUERIES:-5} RUNS=${RUNS:-5} WARMUP=${WARMUP:-2} METRIC=${METRIC:-l2}
data=${KNN_DATA:-$build/bench/knn-data}
py=/usr/bin/python3
[ -x "$py" ] || py=python3

die() { echo "knn.sh: $*" >&2; exit 1; }
[ -f "$build/Makefile" ] || die "$build is not a configured build tree (give its path)"
command -v node >/dev/null 2>&1 || die "node is not installed"

if [ ! -f "$src/tests/fixtures/gen/node_modules/@lancedb/lancedb/package.json" ]; then
	echo "knn.sh: installing LanceDB (tests/fixtures/setup.sh)" >&2
	"$src/tests/fixtures/setup.sh" "$build/tests/fixtures/out" >&2 || die "setup.sh failed"
fi

stamp="$ROWS $DIM $BATCH $QUERIES $(sha256sum <"$here/knn_data.mjs" | cut -d' ' -f1)"
if [ ! -f "$data/.stamp" ] || [ "$(cat "$data/.stamp")" != "$stamp" ]; then
	rm -rf "$data"
	mkdir -p "$data"
	node "$here/knn_data.mjs" "$data" "$ROWS" "$DIM" "$BATCH" "$QUERIES" 2>&1 | grep -v ' WARN ' >&2
	echo "$stamp" >"$data/.stamp"
fi

make -C "$build" -s bench/knn_query >&2 || die "cannot build bench/knn_query"

# one query file per vector
$py - "$data" "$K" "$METRIC" <<'EOF'
import json, sys
data, k, metric = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i, v in enumerate(json.load(open(f"{data}/queries.json"))):
    with open(f"{data}/q{i}.json", "w") as f:
        json.dump({"nearest": {"column": "vector", "vector": v, "k": k, "metric": metric},
                   "columns": ["id"]}, f)
EOF

threads=""
[ -n "${THREADS:-}" ] && threads="-t $THREADS"
nproc=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
echo "kNN: $ROWS x $DIM float32 (LanceDB storage 2.1, $(ls "$data/knn.lance/data" | wc -l) fragments), k=$K, $METRIC, $QUERIES queries, median of $RUNS warm runs, $nproc CPUs"
echo "LanceDB $(node -e "console.log(require('$src/tests/fixtures/gen/node_modules/@lancedb/lancedb/package.json').version)") flat search (bypassVectorIndex):"
node "$here/knn_lancedb.mjs" "$data" "$K" "$RUNS" "$WARMUP" "$METRIC" 2>/dev/null >"$data/lancedb.out"

for mode in direct cached; do
	: >"$data/lancefs-$mode.out"
	for i in $(seq 0 $((QUERIES - 1))); do
		flag=""
		[ $mode = cached ] && flag="-c"
		# shellcheck disable=SC2086
		"$build/bench/knn_query" $flag $threads -n "$RUNS" -w "$WARMUP" "$data/knn.lance" "$data/q$i.json" \
			>"$data/lancefs-$mode-$i.rows" 2>"$data/lancefs-$mode-$i.time"
		echo "$i $(sed -n 's/^median: \([0-9.]*\) ms/\1/p' "$data/lancefs-$mode-$i.time")" >>"$data/lancefs-$mode.out"
	done
done

$py - "$data" "$QUERIES" <<'EOF'
import json, statistics, sys
data, n = sys.argv[1], int(sys.argv[2])
lance = [json.loads(l) for l in open(f"{data}/lancedb.out")]
def ours(mode):
    t = {int(a): float(b) for a, b in (l.split() for l in open(f"{data}/lancefs-{mode}.out"))}
    rows = []
    for i in range(n):
        rows.append([str(json.loads(l)["_rowid"]) for l in open(f"{data}/lancefs-{mode}-{i}.rows")])
    return t, rows
lm = [q["median"] for q in lance]
print("  query  LanceDB ms  lancefs ms  lancefs+cache ms")
d, drows = ours("direct")
c, crows = ours("cached")
same = True
for i in range(n):
    print(f"  {i:5d}  {lm[i]:10.1f}  {d[i]:10.1f}  {c[i]:16.1f}")
    same = same and drows[i] == lance[i]["rowids"] and crows[i] == lance[i]["rowids"]
L = statistics.median(lm)
D = statistics.median(d.values())
C = statistics.median(c.values())
print(f"  median {L:10.1f}  {D:10.1f}  {C:16.1f}")
print(f"lancefs / LanceDB latency: {D / L:.2f} (files read directly), {C / L:.2f} (through the block cache, as a mount)")
print(f"same rows in the same order as LanceDB: {'yes' if same else 'NO'}")
sys.exit(0 if same else 1)
EOF
