#!/bin/sh
# Installs the Debian packages warrant needs, when any is missing.
# As root it runs apt-get; otherwise it prints the command to run.
# libpq-dev: the header of the PostgreSQL store's driver (libpq itself is
# loaded at run time); postgresql: the server the PostgreSQL tests start.
# WITH_BROWSER=1 adds what the review desk's browser test drives: chromium,
# and node with npm (for playwright-core) when no node is installed (CI sets it).
# WITH_TORCH=1 adds python3-torch and python3-numpy: the local engine's
# reference test (tests/e2e/local_ref.sh) checks it against PyTorch, and
# scripts/model/ trains and exports models with them (CI sets it).
# WITH_TRAIN=1 adds those and OpenBLAS: Debian's torch calls the system BLAS,
# and the reference BLAS makes training the demo model about ten times slower.
# python3 (standard library only) runs the local-model demo behind `make demo`.
set -e
pkgs="build-essential pkg-config libfyaml-dev libjansson-dev libsqlite3-dev
      libssl-dev libpcre2-dev libcurl4-openssl-dev libseccomp-dev libmicrohttpd-dev sqlite3 openssl bc
      curl libpq-dev postgresql python3"
if [ "${WITH_BROWSER:-0}" = 1 ]; then
	pkgs="$pkgs chromium"
	command -v node >/dev/null && command -v npm >/dev/null || pkgs="$pkgs nodejs npm"
fi
if [ "${WITH_TRAIN:-0}" = 1 ]; then
	pkgs="$pkgs python3-torch python3-numpy libopenblas0-openmp"
fi
if [ "${WITH_TORCH:-0}" = 1 ]; then
	pkgs="$pkgs python3-torch python3-numpy"
fi
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "deps: missing$missing" >&2
	echo "deps: run: sudo apt-get install$missing" >&2
	exit 1
fi
