#!/bin/bash
# Starts s3rver on 127.0.0.1 (a free port, a fresh directory, fresh random
# credentials) and prints shell lines that export where it is:
#
#   eval "$(tests/s3/start-server.sh [BUCKET...])"
#   ... AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY are set ...
#   tests/s3/stop-server.sh          # uses $S3_WORK
#
# The server exits by itself after S3_TIMEOUT_S seconds (default 1800).
. "$(dirname "$0")/lib.sh" || exit 1
S3_BUCKETS=$(IFS=,; echo "$*")
S3_KEEP=1 s3_start >&2 || exit 1
printf 'export S3_ENDPOINT=%q S3_PID=%q S3_WORK=%q AWS_ENDPOINT_URL=%q AWS_REGION=%q AWS_ACCESS_KEY_ID=%q AWS_SECRET_ACCESS_KEY=%q\n' \
	"$S3_ENDPOINT" "$S3_PID" "$S3_WORK" "$S3_ENDPOINT" "$AWS_REGION" "$AWS_ACCESS_KEY_ID" \
	"$AWS_SECRET_ACCESS_KEY"
echo "# s3rver at $S3_ENDPOINT (pid $S3_PID, data in $S3_WORK)" >&2
