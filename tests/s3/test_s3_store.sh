#!/bin/bash
# The S3 store against a real S3-compatible server on loopback that checks
# SigV4 signatures (s3rver), directly and through a fault-injecting proxy.
# Speaks TAP.  Needs node and npm (installs tests/s3/node_modules itself).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CLIENT="$top_builddir/tests/s3/s3_client"
BUCKET=lancefs-test
PREFIX=ds/sample.lance
URI="s3://$BUCKET/$PREFIX"

# should this script die without its trap, the servers go by themselves
export S3_TIMEOUT_S=${S3_TIMEOUT_S:-900}
. "$top_srcdir/tests/s3/lib.sh" || { echo "Bail out! cannot read tests/s3/lib.sh"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/lancefs-s3test.XXXXXX") || exit 1
cleanup() {
	s3_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

n=0
failed=0
ok() { # STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
diag() { sed 's/^/# /'; }

# Only what a test sets itself: no AWS_* from the caller, no ~/.aws.
for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export HOME="$T/home"
mkdir -p "$HOME"

if ! command -v node >/dev/null 2>&1; then
	echo "1..0 # SKIP node is not installed"
	exit 0
fi
[ -x "$CLIENT" ] || { echo "Bail out! $CLIENT is not built"; exit 1; }
s3_deps || { echo "Bail out! npm ci in tests/s3 failed"; exit 1; }

# ---- test data: odd sizes, odd names, a directory of many keys ----
D="$T/data"
mkdir -p "$D/tiny" "$D/many" "$D/a/b/c" "$D/ünï cødé" "$D/big"
: >"$D/tiny/empty.bin"
printf 'x' >"$D/tiny/one.bin"
head -c 100 /dev/urandom >"$D/tiny/hundred.bin"
head -c 4097 /dev/urandom >"$D/tiny/page+1 (more)=.bin"
head -c 300001 /dev/urandom >"$D/a/b/c/medium.bin"
head -c $((3 * 1024 * 1024 + 7)) /dev/urandom >"$D/big/big.lance"
head -c 777 /dev/urandom >"$D/ünï cødé/ключ.txt"
for i in $(seq 1 23); do head -c $((i * 37)) /dev/urandom >"$D/many/f$i.bin"; done
echo '{"version": 3}' >"$D/latest.json"
head -c 10 /dev/urandom >"$D/a-b"
head -c 11 /dev/urandom >"$D/a.b"

S3_BUCKETS=$BUCKET s3_start
ok $? "s3rver starts on 127.0.0.1 with fresh credentials"
[ -n "${S3_ENDPOINT:-}" ] || { echo "Bail out! no S3 server"; exit 1; }
echo "# s3rver at $S3_ENDPOINT, package $(node -p "require('$S3_TESTS_DIR/node_modules/@20minutes/s3rver/package.json').version" 2>/dev/null)"

s3_upload_dir "$D" "$BUCKET" "$PREFIX" 2>&1 | diag
ok "${PIPESTATUS[0]}" "upload the test tree with signed PUTs"

node "$S3_TESTS_DIR/upload.mjs" badsig "$S3_ENDPOINT" "$BUCKET" "$PREFIX/latest.json" 2>&1 | diag
ok "${PIPESTATUS[0]}" "s3rver refuses a request signed with the wrong secret (SignatureDoesNotMatch)"

client() { # ENDPOINT ARGS...: runs the client, output in $out, exit code in $rc
	local ep=$1
	shift
	out=$(AWS_ENDPOINT_URL="$ep" "$CLIENT" "$@" 2>&1)
	rc=$?
}
stat_of() { sed -n "s/^# stats .*$1=\([0-9]*\).*/\1/p" <<<"$out"; }

client "$S3_ENDPOINT" stat "$URI" latest.json
ok $rc "s3rver accepts lancefs's SigV4 signature (stat)"
echo "$out" | diag

client "$S3_ENDPOINT" verify "$URI" "$D" 1
ok $rc "every listing, stat, whole read and ranged read matches the local files"
echo "$out" | grep -v '^# verify' | head -20 | diag

S3_CLIENT_MAX_KEYS=7 S3_CLIENT_PART_SIZE=65536 S3_CLIENT_PARALLEL=4 client "$S3_ENDPOINT" verify "$URI" "$D" 2
ok $rc "the same with 7 keys a list page (pagination) and 64 KiB parts read in parallel"
echo "$out" | grep -v '^# verify' | head -20 | diag

S3_CLIENT_PART_SIZE=65536 AWS_ENDPOINT_URL="$S3_ENDPOINT" "$CLIENT" cat "$URI" big/big.lance >"$T/big.out" 2>/dev/null
cmp -s "$T/big.out" "$D/big/big.lance"
ok $? "cat of a 3 MiB object in 49 parallel parts equals the file (cmp)"

AWS_ENDPOINT_URL="$S3_ENDPOINT" "$CLIENT" read "$URI" a/b/c/medium.bin 12345 70001 >"$T/range.out" 2>/dev/null
tail -c +12346 "$D/a/b/c/medium.bin" | head -c 70001 | cmp -s - "$T/range.out"
ok $? "a ranged read at an odd offset equals the same bytes of the file (cmp)"

S3_CLIENT_PART_SIZE=32768 client "$S3_ENDPOINT" concurrent "$URI" "$D" 8
ok $rc "8 threads reading at once from one store"
echo "$out" | grep -v '^# concurrent' | head -10 | diag

# ---- errors ----
client "$S3_ENDPOINT" stat "$URI" no/such/key.bin
[ $rc -eq 2 ] && grep -q "ENOENT: s3://$BUCKET/$PREFIX/no/such/key.bin: no such object" <<<"$out"
ok $? "a missing key is ENOENT, named in the message"
echo "$out" | head -1 | diag

client "$S3_ENDPOINT" ls "$URI" nodir
[ $rc -eq 2 ] && grep -q "no such directory" <<<"$out"
ok $? "listing a missing directory is ENOENT"

client "$S3_ENDPOINT" stat "$URI" a/b
[ $rc -eq 5 ]
ok $? "stat of a prefix with keys under it is EISDIR"

client "$S3_ENDPOINT" stat "s3://no-such-bucket/x" y
[ $rc -eq 2 ] && grep -q 'NoSuchBucket' <<<"$out"
ok $? "a missing bucket is ENOENT with NoSuchBucket"
echo "$out" | head -1 | diag

REAL_SECRET=$AWS_SECRET_ACCESS_KEY
WRONG_SECRET="wrong${REAL_SECRET}x"
AWS_SECRET_ACCESS_KEY=$WRONG_SECRET client "$S3_ENDPOINT" cat "$URI" latest.json
[ $rc -eq 3 ] && grep -q 'EACCES.*SignatureDoesNotMatch' <<<"$out" &&
	! grep -qF "$WRONG_SECRET" <<<"$out" && ! grep -qF "$REAL_SECRET" <<<"$out"
ok $? "a wrong secret is EACCES with SignatureDoesNotMatch, and the secret is in no message"
echo "$out" | grep error | head -1 | diag

AWS_ACCESS_KEY_ID=AKIDNOSUCHKEY client "$S3_ENDPOINT" ls "$URI" ""
[ $rc -eq 3 ] && grep -q 'InvalidAccessKeyId' <<<"$out" && ! grep -qF "$REAL_SECRET" <<<"$out"
ok $? "an unknown access key id is EACCES with InvalidAccessKeyId"

AWS_SESSION_TOKEN="FQoGZXIvYXdzEXAMPLE/+=token" client "$S3_ENDPOINT" stat "$URI" latest.json
[ $rc -eq 0 ] && ! grep -q 'FQoGZXIvYXdz' <<<"$out"
ok $? "a session token is sent and signed (x-amz-security-token), and never printed"

S3_CLIENT_NO_SIGN=1 client "$S3_ENDPOINT" stat "$URI" latest.json
ok $rc "--no-sign-request sends unsigned requests (s3rver allows them)"

# ---- configuration from ~/.aws ----
mkdir -p "$HOME/.aws"
cat >"$HOME/.aws/credentials" <<EOF
[lfs]
aws_access_key_id = $AWS_ACCESS_KEY_ID
aws_secret_access_key = $REAL_SECRET
EOF
cat >"$HOME/.aws/config" <<EOF
[profile lfs]
region = us-east-1
endpoint_url = $S3_ENDPOINT

[profile lfs-vhost]
region = us-east-1
s3 =
  endpoint_url = http://s3.localhost:${S3_ENDPOINT##*:}
  addressing_style = virtual
EOF
cp "$HOME/.aws/credentials" "$T/creds" && sed -i 's/^\[lfs\]$/[lfs-vhost]/' "$T/creds" && cat "$T/creds" >>"$HOME/.aws/credentials"
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION AWS_PROFILE=lfs \
	"$CLIENT" verify "s3://$BUCKET/$PREFIX/tiny" "$D/tiny" 3 2>&1)
ok $? "AWS_PROFILE with keys in ~/.aws/credentials and endpoint_url in ~/.aws/config"
echo "$out" | grep -v '^# verify' | head -5 | diag

# Virtual-hosted style: BUCKET.s3.localhost reaches s3rver (curl resolves
# *.localhost to loopback).  s3rver puts the bucket into the canonical URI of
# such requests, against SigV4 (the AWS documentation's virtual-hosted
# examples, which test_s3 checks, sign the bare path), so it answers
# SignatureDoesNotMatch: this checks the route and the configuration only.
out=$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION S3_CLIENT_PROFILE=lfs-vhost \
	S3_CLIENT_LOG=1 "$CLIENT" ls "s3://$BUCKET/$PREFIX" tiny 2>&1)
rc=$?
grep -q "http://$BUCKET.s3.localhost:.*virtual-hosted-style" <<<"$out" &&
	{ [ $rc -eq 0 ] || grep -q 'error EACCES.*SignatureDoesNotMatch' <<<"$out"; }
ok $? "virtual-hosted-style requests go to BUCKET.s3.localhost (nested s3 section of a profile)"
echo "$out" | grep -E '^error|info' | head -2 | diag

# ---- faults between lancefs and s3rver ----
proxy_start --every 3
S3_CLIENT_MAX_KEYS=7 S3_CLIENT_PART_SIZE=65536 client "$PROXY_ENDPOINT" verify "$URI" "$D" 4
proxy_stop
faults=$(proxy_faults)
retries=$(stat_of retries)
[ $rc -eq 0 ] && [ "$faults" -gt 0 ] && [ "${retries:-0}" -gt 0 ]
ok $? "every 3rd request spoiled (drop, reset, 5xx, 429, truncated and short bodies): all data right ($faults faults, ${retries:-?} retries)"
[ $rc -eq 0 ] || echo "$out" | head -20 | diag
grep '^faultproxy:' "$S3_WORK/proxy.log" | diag

proxy_start --rate 0.5 --seed 7 --off-file "$T/faults-off"
S3_CLIENT_FAULTS_OFF_FILE="$T/faults-off" S3_CLIENT_ATTEMPTS=2 S3_CLIENT_MAX_KEYS=7 S3_CLIENT_PART_SIZE=65536 \
	client "$PROXY_ENDPOINT" faults "$URI" "$D" 150 11
proxy_stop
[ $rc -eq 0 ] && grep -q ' 0 wrong' <<<"$out"
ok $? "half the requests spoiled, 2 attempts each: every read right or EIO, never wrong bytes; the store works afterwards"
grep -E '^# (faults|verify)' <<<"$out" | diag
[ $rc -eq 0 ] || echo "$out" | grep FAIL | head -10 | diag

proxy_start --every 4 --modes delay,stall --delay-ms 2500
S3_CLIENT_TIMEOUT_MS=1000 S3_CLIENT_PART_SIZE=16384 client "$PROXY_ENDPOINT" verify "s3://$BUCKET/$PREFIX/tiny" "$D/tiny" 5
proxy_stop
[ $rc -eq 0 ] && [ "$(proxy_faults)" -gt 0 ]
ok $? "stalled answers (before headers and mid-body) time out and are retried"
[ $rc -eq 0 ] || echo "$out" | head -10 | diag

proxy_start 503 --every 1
S3_CLIENT_ATTEMPTS=3 client "$PROXY_ENDPOINT" read "$URI" latest.json 0 5
proxy_stop
[ $rc -eq 4 ] && grep -q 'GET failed after 3 attempts: HTTP 503 SlowDown: Please reduce your request rate' <<<"$out" &&
	[ "$(stat_of retries)" = 2 ]
ok $? "a server that always says SlowDown: EIO after 3 attempts, with the S3 code and message"
echo "$out" | grep error | head -1 | diag

proxy_start --every 1 --modes lie
S3_CLIENT_ATTEMPTS=3 client "$PROXY_ENDPOINT" read "$URI" tiny/hundred.bin 10 50
proxy_stop
[ $rc -eq 4 ] && grep -q 'short body' <<<"$out"
ok $? "answers that always come short (valid HTTP, cut Content-Length): EIO, no bytes handed out"
echo "$out" | grep error | head -1 | diag

client "$S3_ENDPOINT" stat "$URI" latest.json
ok $rc "the server still answers after the fault runs"

echo "1..$n"
[ $failed -eq 0 ]
