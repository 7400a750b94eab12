#!/usr/bin/env bash
# Sets everything up, mounts the bundled sample dataset (written by LanceDB)
# and shows it.  Leaves it mounted at ./mnt/cities; unmount with
#   fusermount3 -u mnt/cities
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
"$top/scripts/build.sh" "$top/build"
mnt="$top/mnt/cities"
mkdir -p "$mnt"
mountpoint -q "$mnt" && fusermount3 -u "$mnt"
"$top/build/lancefs" mount "$top/tests/fixtures/sample/cities.lance" "$mnt"
cd "$mnt"
show() { echo; echo "\$ $*"; "$@"; }
show ls -F
show head -c 400 manifest.json
show ls -l data/
show head -5 rows.jsonl
show head -4 data/name.txt
show ls versions/ tags/
show cat versions/1/rows.csv
/usr/bin/python3 - "$mnt" <<'PY' || true
import sys, numpy as np
a = np.load(sys.argv[1] + "/data/location.npy")
print("\n$ python3 -c 'numpy.load(\"data/location.npy\")'")
print(a.dtype, a.shape)
print(a[:3])
PY
echo
echo "Mounted at $mnt — unmount with: fusermount3 -u $mnt"
