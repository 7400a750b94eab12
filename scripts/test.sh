#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs
# `make check` (unit tests, fuzz replays, mount tests against fixtures
# written by LanceDB, S3 tests against a loopback server).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
"$top/scripts/build.sh" "$top/build"
cd "$top/build"
if ! make -j"$(nproc)" check; then
	for f in $(grep -l -E '^(FAIL|ERROR)' $(find . -name '*.trs') 2>/dev/null); do
		echo "==== ${f%.trs}.log"
		tail -60 "${f%.trs}.log"
	done
	exit 1
fi
