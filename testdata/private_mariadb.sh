# private_mariadb.sh, sourced by the scripts that ask a real MariaDB for
# expected results (testdata/sql/regen.sh, testdata/charset/regen.sh,
# internal/collate/gen/dump.sh): private_mariadb [MARIADBD_OPTION...]
# starts a mariadbd of its own in a temporary directory ($tmp), reached on
# the socket $tmp/sock with no networking, waits until it answers, and
# stops it and removes $tmp when the calling script exits. Nothing else on
# the machine is touched.
private_mariadb() {
	tmp=$(mktemp -d)
	pid=
	trap private_mariadb_stop EXIT INT TERM
	mariadb-install-db --no-defaults --datadir="$tmp/data" --auth-root-authentication-method=normal \
		--skip-test-db >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 1; }
	mariadbd --no-defaults --datadir="$tmp/data" --socket="$tmp/sock" --skip-networking \
		--pid-file="$tmp/pid" --user="$(id -un)" "$@" >"$tmp/server.log" 2>&1 &
	pid=$!
	i=0
	until mariadb --no-defaults -S "$tmp/sock" -uroot -e 'select 1' >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 60 ]; then cat "$tmp/server.log"; exit 1; fi
		sleep 0.5
	done
}

private_mariadb_stop() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
