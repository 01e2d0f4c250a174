#!/bin/sh
# Bans the C functions that have no place in Sidang (STYLE.md §12): unbounded copies and formats,
# number parsers without error reporting, non-reentrant tokenisers. Exits 1 naming each use.
set -u
cd "$(dirname "$0")/.." || exit 2
pattern='(^|[^_a-zA-Z0-9])(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|atof|strtok|tmpnam|mktemp|alloca)[[:space:]]*\('
hits=$(grep -rnE "$pattern" src tests/unit fuzz --include='*.c' --include='*.h' || true)
if [ -n "$hits" ]; then
	echo "banned functions used (see tools/check-source.sh):"
	echo "$hits"
	exit 1
fi
# HTML is never built in C: no markup in C string literals.
html=$(grep -rnE '"[^"]*<(html|div|span|script|body|a |p>|table)' src --include='*.c' || true)
if [ -n "$html" ]; then
	echo "HTML built in C (the browser renders JSON; see docs/ui.md):"
	echo "$html"
	exit 1
fi
echo "source check: ok"
