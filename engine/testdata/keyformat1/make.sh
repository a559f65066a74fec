#!/bin/sh
# make.sh made old.def and old.bdf.gz: a table written by blitz before key
# format 2 (commit 3f184eb), whose primary key and unique index hold values
# that differ only in trailing spaces ('a' and 'a ', 'x' and 'x '). The
# index file is left out: index files are rebuilt from the data file.
#
# usage: make.sh BLITZ   (a blitz binary built from commit 3f184eb)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$1" sql -d "$tmp/db" \
	-e "CREATE TABLE old (a VARCHAR(10) PRIMARY KEY, b VARCHAR(10), n INT, UNIQUE KEY ub (b))" \
	-e "INSERT INTO old VALUES ('a', 'x', 1), ('a ', 'x ', 2), ('b', 'y', 3)"
cp "$tmp/db/old.def" "$here/old.def"
gzip -9 -n -c "$tmp/db/old.bdf" >"$here/old.bdf.gz"
