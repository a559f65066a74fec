#!/bin/sh
# regen.sh regenerates the expected outputs of the MySQL-reference SQL
# corpus (testdata/sql/*.test -> *.result) by running each script on a real
# MariaDB (Debian's mariadb-server, InnoDB), exactly as `blitz sql --force`
# runs it in the tests: `mariadb --batch --force`, errors interleaved with
# results. A private mariadbd is started on a socket in a temporary
# directory and stopped afterwards; nothing else on the machine is touched.
#
# Blitz-only scripts (CRASH_SAFE, EXPLAIN, SHOW output, CHECK/REPAIR) live
# in testdata/sql/blitz/ with hand-checked expectations: this script does
# not touch them.
#
# usage: testdata/sql/regen.sh [NAME.test...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../private_mariadb.sh"
private_mariadb --default-storage-engine=InnoDB \
	--character-set-server=utf8mb4 --collation-server=utf8mb4_bin
echo "$(mariadb --no-defaults -S "$tmp/sock" -uroot -N -e 'select version()')"

if [ $# -eq 0 ]; then set -- "$here"/*.test; fi
for f in "$@"; do
	case $f in /*) ;; *) f="$here/$(basename "$f")" ;; esac
	out="${f%.test}.result"
	mariadb --no-defaults -S "$tmp/sock" -uroot -e 'DROP DATABASE IF EXISTS test; CREATE DATABASE test'
	# From this directory, with --local-infile: LOAD DATA LOCAL INFILE
	# paths in the scripts are relative to it.
	(cd "$here" && mariadb --no-defaults -S "$tmp/sock" -uroot --batch --force --unbuffered \
		--local-infile=1 --init-command="SET collation_connection = utf8mb4_bin" \
		--skip-print-query-on-error test <"$f" >"$out" 2>&1) || true
	echo "wrote $out"
done
