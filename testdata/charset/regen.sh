#!/bin/sh
# regen.sh writes mariadb_decode.txt: for each single-byte character set
# internal/charset converts, the UTF-8 (hex) a real MariaDB decodes each of
# its 256 bytes to, one line "NAME HEX,HEX,...". internal/charset's tests
# check their tables against it. A private mariadbd is started on a socket
# in a temporary directory and stopped afterwards.
#
# usage: testdata/charset/regen.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../private_mariadb.sh"
private_mariadb
out="$here/mariadb_decode.txt"
echo "# $(mariadb --no-defaults -S "$tmp/sock" -uroot -N -e 'select version()'): CONVERT(_NAME x'00'..x'FF' USING utf8mb4), in hex" >"$out"
for cs in ascii latin1 latin2 latin5 latin7 cp1250 cp1251 cp1257 cp850 cp852 koi8r macroman greek hebrew cp866 koi8u cp1256; do
	q="SELECT CONCAT_WS(','"
	i=0
	while [ $i -lt 256 ]; do
		q="$q,HEX(CONVERT(_$cs x'$(printf %02X $i)' USING utf8mb4))"
		i=$((i + 1))
	done
	echo "$cs $(mariadb --no-defaults -S "$tmp/sock" -uroot -N -e "$q)")" >>"$out"
done
echo "wrote $out"
