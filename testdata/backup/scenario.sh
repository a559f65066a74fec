#!/usr/bin/env bash
# The backup issue's seed scenario, end to end, with the stock mariadb
# client: serve a database with an update log, write, back it up through the
# running server, write more (rows in a CRASH_SAFE and a plain table, an
# ALTER, a table created after the backup), kill the server with SIGKILL,
# delete the database directory, restore from the backup plus the update
# log, serve the restored database and check that every write is back.
#
# usage: BLITZ=/path/to/blitz testdata/backup/scenario.sh WORKDIR
# (BLITZ defaults to `blitz` on PATH). Servers listen on a Unix socket in
# WORKDIR only. Exit 0 and "scenario: every write is back" on success.
set -euo pipefail
B=${BLITZ:-blitz}
W=${1:?usage: scenario.sh WORKDIR}
mkdir -p "$W"
db=$W/db ul=$W/ulog bk=$W/backup sock=$W/sock
pid=
cleanup() { if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

serve() { # serve DIR [extra flags]: start blitz serve on the socket, wait until it answers
	rm -f "$sock"
	"$B" serve -d "$1" --listen '' --socket "$sock" "${@:2}" >>"$W/serve.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 200); do
		if mariadb --no-defaults -S "$sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then return 0; fi
		if ! kill -0 "$pid" 2>/dev/null; then echo "scenario: blitz serve died:" >&2; cat "$W/serve.log" >&2; exit 1; fi
		sleep 0.05
	done
	echo "scenario: blitz serve did not answer" >&2
	exit 1
}
q() { mariadb --no-defaults -S "$sock" -uroot --batch "$@"; }

serve "$db" --ulog "$ul" --ulog-limit 65536
{
	echo "CREATE TABLE acct (id INT PRIMARY KEY, owner VARCHAR(20) NOT NULL, bal BIGINT NOT NULL, KEY k_owner (owner)) ENGINE = BLITZDB, CRASH_SAFE;"
	echo "CREATE TABLE note (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, body TEXT, at DATETIME);"
	for i in $(seq 1 300); do
		echo "INSERT INTO acct VALUES ($i, 'o$((i % 17))', $((i * 10)));"
		echo "INSERT INTO note (body, at) VALUES ('before the backup $i', '2026-11-23 10:00:00');"
	done
} | q
"$B" backup -d "$db" --to "$bk" >"$W/backup.out"
grep -q "via server" "$W/backup.out" || { echo "scenario: the backup did not go through the server" >&2; cat "$W/backup.out" >&2; exit 1; }
{
	for i in $(seq 301 500); do
		echo "INSERT INTO acct VALUES ($i, 'late', $i);"
		echo "INSERT INTO note (body) VALUES ('after the backup $i');"
	done
	echo "BEGIN; UPDATE acct SET bal = bal - 5 WHERE id = 1; UPDATE acct SET bal = bal + 5 WHERE id = 2; COMMIT;"
	echo "DELETE FROM acct WHERE id BETWEEN 100 AND 149;"
	echo "DELETE FROM note WHERE id % 7 = 0;"
	echo "UPDATE note SET body = CONCAT(body, ' (edited)') WHERE id % 5 = 0;"
	echo "ALTER TABLE acct ADD COLUMN memo VARCHAR(30);"
	echo "UPDATE acct SET memo = 'after alter' WHERE id > 480;"
	echo "CREATE TABLE late (k VARCHAR(10) PRIMARY KEY, v INT) ENGINE = BLITZDB, CRASH_SAFE;"
	echo "INSERT INTO late VALUES ('a', 1), ('b', 2);"
} | q
check="SELECT * FROM acct ORDER BY id; SELECT * FROM note ORDER BY id; SELECT * FROM late ORDER BY k;
SELECT owner, COUNT(*), SUM(bal) FROM acct FORCE INDEX (k_owner) WHERE owner >= 'o' GROUP BY owner ORDER BY owner;"
q -e "$check" >"$W/before.txt"

kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
rm -rf "$db"

"$B" restore -d "$db" --from "$bk" --ulog "$ul" >"$W/restore.out"
serve "$db"
q -e "$check" >"$W/after.txt"
q -e "CHECK TABLE acct, note, late" >"$W/check.txt"
if ! diff -u "$W/before.txt" "$W/after.txt" >"$W/diff.txt"; then
	echo "scenario: the restored database differs from what was written:" >&2
	head -40 "$W/diff.txt" >&2
	exit 1
fi
if [ "$(grep -c 'status	OK' "$W/check.txt")" != 3 ]; then
	echo "scenario: CHECK TABLE after the restore:" >&2
	cat "$W/check.txt" >&2
	exit 1
fi
echo "scenario: every write is back ($(wc -l <"$W/before.txt") lines compared; $(grep replayed "$W/restore.out"))"
