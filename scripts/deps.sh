#!/usr/bin/env bash
# Installs what building and testing lancefs needs on a Debian machine that
# has only gcc, make, node and npm.  Safe to run again: it installs only
# what is missing.
set -euo pipefail

packages=(
	autoconf automake libtool pkg-config make gcc
	libfuse3-dev fuse3
	libcurl4-openssl-dev libssl-dev
	libzstd-dev liblz4-dev libjansson-dev libroaring-dev
	python3 python3-numpy
	clang libclang-rt-14-dev
	util-linux
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -e /dev/fuse ]; then
	echo "deps: /dev/fuse is missing: FUSE mounts cannot work on this machine" >&2
	exit 1
fi
