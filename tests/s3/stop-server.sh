#!/bin/bash
# Stops what start-server.sh (and proxy_start) started, and removes its
# directory:  tests/s3/stop-server.sh [S3_WORK]   (default: $S3_WORK)
. "$(dirname "$0")/lib.sh" || exit 1
S3_WORK=${1:-${S3_WORK:-}}
if [ -z "$S3_WORK" ] || [ ! -d "$S3_WORK" ]; then
	echo "stop-server.sh: no server directory (give S3_WORK)" >&2
	exit 1
fi
# only ever a process this directory's files name, and only if it is node
for f in proxy.pid server.pid; do
	pid=$(cat "$S3_WORK/$f" 2>/dev/null) || continue
	case "$(ps -o comm= -p "$pid" 2>/dev/null)" in
	node) _s3_kill "$pid" ;;
	esac
done
rm -rf "$S3_WORK"
