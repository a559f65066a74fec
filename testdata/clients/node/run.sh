#!/bin/sh
# run.sh repeats, for a human, the pass of Node drivers and ORMs against
# `blitz serve` that found the fixes listed in the README (section on
# clients): mysql2 (pool, query and prepared execute), knex migrations and
# queries, Sequelize sync({alter: true}) of two associated models and
# CRUD, TypeORM synchronize of two entities and CRUD, the mariadb
# connector, upsert insert ids and expression types. Each script prints
# one OK or FAIL line per step. Not part of `go test` or CI: it needs node
# (20 or later), npm and the npm registry.
#
# It builds blitz, serves a fresh database named db on a free port of
# 127.0.0.1, installs the packages of package.json into a temporary
# directory, runs the scripts (all, or those named) and stops the server.
# With MARIADB_PORT=N (a MariaDB on 127.0.0.1:N with a database db that
# root may use without a password) each script runs there too, on a db
# emptied first, and the differences are printed.
#
# usage: sh testdata/clients/node/run.sh [m1.js k1.js ...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

(cd "$repo" && go build -o "$tmp/blitz" ./cmd/blitz)
cp -r "$here"/*.js "$here"/package.json "$here"/migrations "$tmp/"
(cd "$tmp" && npm install --no-audit --no-fund >"$tmp/npm.log" 2>&1) || { cat "$tmp/npm.log"; exit 1; }
mkdir "$tmp/db"
"$tmp/blitz" serve -d "$tmp/db" --listen 127.0.0.1:0 >"$tmp/serve.log" 2>&1 &
pid=$!
i=0
until grep -q 'listening on' "$tmp/serve.log"; do
	i=$((i + 1))
	if [ $i -gt 50 ]; then cat "$tmp/serve.log"; exit 1; fi
	sleep 0.2
done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.log" | head -1)

if [ $# -eq 0 ]; then set -- m1.js m2.js k1.js s1.js s3.js t1.js md1.js odku.js types2.js; fi
for s in "$@"; do
	echo "== $s (blitz serve on port $port)"
	(cd "$tmp" && PORT=$port DROP=1 timeout 120 node "$s" >"$tmp/$s.blitz" 2>&1) || echo "(exit status $?)"
	cat "$tmp/$s.blitz"
	if [ -n "${MARIADB_PORT:-}" ]; then
		mariadb --no-defaults -h127.0.0.1 -P"$MARIADB_PORT" -uroot -e 'DROP DATABASE IF EXISTS db; CREATE DATABASE db'
		(cd "$tmp" && PORT=$MARIADB_PORT DROP=1 timeout 120 node "$s" >"$tmp/$s.mariadb" 2>&1) || true
		echo "-- differences from MariaDB (< MariaDB, > blitz):"
		diff "$tmp/$s.mariadb" "$tmp/$s.blitz" || true
	fi
done
