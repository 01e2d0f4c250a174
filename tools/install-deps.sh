#!/bin/sh
# Installs the Debian packages Sidang needs: `run` to build and serve, `test` for the test suite.
# As root it uses apt-get; otherwise it prints the exact command to run and fails.
set -eu
RUN_PKGS="build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev libyaml-dev libmagic-dev libmagic-mgc libstemmer-dev libseccomp-dev libmupdf-dev libgumbo-dev libmujs-dev libharfbuzz-dev libjbig2dec0-dev libopenjp2-7-dev libjpeg-dev libfreetype-dev zlib1g-dev libtesseract-dev libleptonica-dev tesseract-ocr-ind tesseract-ocr-eng"
TEST_PKGS="$RUN_PKGS mupdf-tools libcmocka-dev clang libclang-rt-dev python3 sqlite3 util-linux nodejs npm chromium"
case "${1:-run}" in
	run) pkgs=$RUN_PKGS ;;
	test) pkgs=$TEST_PKGS ;;
	*) echo "usage: $0 run|test" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
	# A nodejs that brings its own npm will do (NodeSource's provides npm and conflicts with
	# Debian's npm package, which would replace it).
	if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "Installing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
else
	echo "Sidang needs these Debian packages:$missing" >&2
	echo "Install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
