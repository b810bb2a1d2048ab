#!/usr/bin/env bash
# Installs the system tools the test suite runs for real, where they are missing (Debian/Ubuntu, as root or
# with sudo): Chromium for the browser tests, Python's websockets for interop, nginx, HAProxy and Redis for the
# cluster and deploy tests, gcc/make/zlib for the benchmark load generator, and the validators of deploy/.
# `npm run test:ci` runs this first; on a machine that has everything it installs nothing.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Debian's python3 (the tests fall back to /usr/bin/python3 when the python3 on PATH lacks a module)
/usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 || need+=(python3-websockets)
/usr/bin/python3 -c 'import yaml' >/dev/null 2>&1 || need+=(python3-yaml)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v envsubst >/dev/null 2>&1 || need+=(gettext-base)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v gcc >/dev/null 2>&1 || need+=(gcc make)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev) # bench/wsload links zlib for --deflate
for b in nginx haproxy redis-server; do command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || need+=("$b"); done

if [ ${#need[@]} -eq 0 ]; then
  echo "install-prereqs: nothing to install"
  exit 0
fi
echo "install-prereqs: installing ${need[*]}"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-prereqs: no apt-get here; install these yourself: ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
