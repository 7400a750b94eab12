# Shell functions for tests that need an S3 server: source this file.
#
#   s3_deps                       install the node packages (npm ci) if missing
#   s3_start                      start s3rver on 127.0.0.1, a free port, a fresh
#                                 directory and fresh random credentials; sets and
#                                 exports S3_ENDPOINT, S3_PID, S3_WORK,
#                                 AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION
#   s3_upload_dir DIR BUCKET PREFIX   upload a directory with signed PUTs
#   s3_stop                       stop the server and remove its directory
#   proxy_start [MODES] [ARGS...] start tests/s3/faultproxy.mjs in front of the server
#                                 (ARGS as faultproxy.mjs takes them, e.g.
#                                 "503,drop --every 2"; MODES alone spoils every
#                                 3rd request); sets PROXY_ENDPOINT, PROXY_PID
#   proxy_stop                    stop the proxy; its log is $S3_WORK/proxy.log
#   proxy_faults                  how many faults the last proxy injected
#   s3_cleanup                    proxy_stop and s3_stop: use it in a trap
#
# Everything listens on 127.0.0.1 only; the server and the proxy also exit by
# themselves after S3_TIMEOUT_S seconds (default 1800), should a test die
# without its trap.  The scripts run with bash.

S3_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${S3_TIMEOUT_S:=1800}"
# s3rver's continuation tokens use DES, which OpenSSL 3 keeps in its legacy provider
S3_NODE="node --openssl-legacy-provider"

s3_log() { echo "# $*" >&2; }

s3_deps() {
	command -v node >/dev/null 2>&1 || { s3_log "node is not installed"; return 1; }
	command -v npm >/dev/null 2>&1 || { s3_log "npm is not installed"; return 1; }
	[ -f "$S3_TESTS_DIR/node_modules/@20minutes/s3rver/package.json" ] && return 0
	local log
	log=$(mktemp "${TMPDIR:-/tmp}/lancefs-npm.XXXXXX")
	# Several tests may start at once (make -j): one installs, the others wait.
	(
		flock -w 600 9 || exit 1
		[ -f "$S3_TESTS_DIR/node_modules/@20minutes/s3rver/package.json" ] && exit 0
		cd "$S3_TESTS_DIR" && npm ci --no-audit --no-fund --loglevel=error
	) 9>"$S3_TESTS_DIR/.npm-install.lock" >"$log" 2>&1
	local rc=$?
	if [ $rc -ne 0 ]; then
		s3_log "npm ci in $S3_TESTS_DIR failed:"
		sed 's/^/#   /' "$log" >&2
	fi
	rm -f "$log"
	return $rc
}

# Waits (bounded) for a process to write its port to a file.
_s3_wait_port() { # FILE PID
	local i
	for i in $(seq 1 300); do
		[ -s "$1" ] && { cat "$1"; return 0; }
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

s3_start() {
	s3_deps || return 1
	S3_WORK=$(mktemp -d "${TMPDIR:-/tmp}/lancefs-s3.XXXXXX") || return 1
	# fresh credentials each run; the secret never reaches a command line
	AWS_ACCESS_KEY_ID="LFSTEST$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
	AWS_SECRET_ACCESS_KEY="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
	AWS_REGION=us-east-1
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
	S3_DIR="$S3_WORK/data" S3_ACCESS_KEY="$AWS_ACCESS_KEY_ID" S3_SECRET_KEY="$AWS_SECRET_ACCESS_KEY" \
		S3_BUCKETS="${S3_BUCKETS:-}" S3_PORT_FILE="$S3_WORK/port" S3_TIMEOUT_S="$S3_TIMEOUT_S" \
		S3_SILENT="${S3_SILENT:-0}" \
		$S3_NODE "$S3_TESTS_DIR/server.mjs" >"$S3_WORK/server.log" 2>&1 </dev/null &
	S3_PID=$!
	echo "$S3_PID" >"$S3_WORK/server.pid"
	local port
	if ! port=$(_s3_wait_port "$S3_WORK/port" "$S3_PID"); then
		s3_log "s3rver did not start; its log:"
		sed 's/^/#   /' "$S3_WORK/server.log" >&2
		s3_stop
		return 1
	fi
	S3_ENDPOINT="http://127.0.0.1:$port"
	export S3_ENDPOINT S3_PID S3_WORK
}

s3_upload_dir() { # DIR BUCKET PREFIX
	node "$S3_TESTS_DIR/upload.mjs" put "$S3_ENDPOINT" "$2" "$3" "$1"
}

_s3_kill() { # PID
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	return 0
}

s3_stop() {
	proxy_stop
	if [ -n "${S3_PID:-}" ]; then
		_s3_kill "$S3_PID"
		wait "$S3_PID" 2>/dev/null
	fi
	S3_PID=
	if [ -n "${S3_WORK:-}" ] && [ -d "$S3_WORK" ] && [ -z "${S3_KEEP:-}" ]; then
		rm -rf "$S3_WORK"
	fi
	S3_WORK=
}

proxy_start() { # [MODES] [faultproxy.mjs arguments]
	proxy_stop
	# "proxy_start 503,drop --every 2": a first word without "--" names the modes
	if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
		local modes=$1
		shift
		case " $* " in
		*" --every "* | *" --rate "*) set -- --modes "$modes" "$@" ;;
		*) set -- --modes "$modes" --every 3 "$@" ;;
		esac
	fi
	rm -f "$S3_WORK/proxy.port"
	FAULT_TIMEOUT_S="$S3_TIMEOUT_S" node "$S3_TESTS_DIR/faultproxy.mjs" \
		--upstream "$S3_ENDPOINT" --port-file "$S3_WORK/proxy.port" "$@" \
		>/dev/null 2>"$S3_WORK/proxy.log" </dev/null &
	PROXY_PID=$!
	echo "$PROXY_PID" >"$S3_WORK/proxy.pid"
	local port
	if ! port=$(_s3_wait_port "$S3_WORK/proxy.port" "$PROXY_PID"); then
		s3_log "faultproxy did not start; its log:"
		sed 's/^/#   /' "$S3_WORK/proxy.log" >&2
		proxy_stop
		return 1
	fi
	PROXY_ENDPOINT="http://127.0.0.1:$port"
	export PROXY_ENDPOINT PROXY_PID
}

proxy_stop() {
	if [ -n "${PROXY_PID:-}" ]; then
		_s3_kill "$PROXY_PID"
		wait "$PROXY_PID" 2>/dev/null
	fi
	PROXY_PID=
	[ -n "${S3_WORK:-}" ] && rm -f "$S3_WORK/proxy.pid"
	return 0
}

proxy_faults() {
	grep -c '^fault ' "$S3_WORK/proxy.log" 2>/dev/null || echo 0
}

s3_cleanup() {
	proxy_stop
	s3_stop
}
