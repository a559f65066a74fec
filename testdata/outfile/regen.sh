#!/bin/sh
# regen.sh regenerates NAME.expected, the files a real MariaDB writes for
# each SELECT ... INTO OUTFILE | DUMPFILE 'DIR/NAME' of export.sql, with
# a private mariadbd (testdata/private_mariadb.sh) writing into a
# temporary directory.
#
# usage: testdata/outfile/regen.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../private_mariadb.sh"
private_mariadb --character-set-server=utf8mb4 --collation-server=utf8mb4_bin
out="$tmp/out"
mkdir "$out"
mariadb --no-defaults -S "$tmp/sock" -uroot -e 'CREATE DATABASE test'
sed "s#DIR#$out#g" "$here/export.sql" | mariadb --no-defaults -S "$tmp/sock" -uroot --batch test
rm -f "$here"/*.expected
for f in "$out"/*; do
	cp "$f" "$here/$(basename "$f").expected"
done
ls "$here"
