#!/bin/sh
# dump.sh regenerates internal/collate's weight tables from a real MariaDB
# 10.11 (Debian's mariadb-server): it starts a private mariadbd on a socket
# in a temporary directory (as testdata/sql/regen.sh does), asks it for
# WEIGHT_STRING of every code point under utf8mb4_general_ci,
# utf8mb4_unicode_ci (UCA 4.0.0) and utf8mb4_unicode_520_ci (UCA 5.2.0),
# and hands the dumps to main.go, which writes the compact tables that
# collate embeds (*.tbl.gz); then checks every code point of the new
# tables against the dumps (TestWeightsMatchMariaDB).
#
# The tables are part of blitz's on-disk format (index keys and the
# primary-key hashing of collated columns are built from them): a change
# that alters any weight needs a new collation format version. Running this
# script again must reproduce the committed files byte for byte.
#
# usage: internal/collate/gen/dump.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../../testdata/private_mariadb.sh"
private_mariadb
mariadb --no-defaults -S "$tmp/sock" -uroot -N -e 'select version()'

# Every code point but the surrogates, one row each: cp, then the weights
# in hex (four digits per weight, empty for an ignorable character).
for coll in general_ci unicode_ci unicode_520_ci; do
	mariadb --no-defaults -S "$tmp/sock" -uroot -N --default-character-set=utf8mb4 mysql -e "
		SELECT seq, HEX(WEIGHT_STRING(CONVERT(CHAR(seq USING utf32) USING utf8mb4) COLLATE utf8mb4_$coll))
		FROM seq_0_to_1114111 WHERE seq NOT BETWEEN 55296 AND 57343" >"$tmp/full_$coll.tsv"
done
cd "$here/.."
go run ./gen -general "$tmp/full_general_ci.tsv" -uca400 "$tmp/full_unicode_ci.tsv" -uca520 "$tmp/full_unicode_520_ci.tsv" -out .
# Every code point of the new tables against the dumps.
BLITZ_COLLATE_DUMP="$tmp" go test . -run '^TestWeightsMatchMariaDB$' -count 1
