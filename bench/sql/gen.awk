# gen.awk: writes the bench/sql workload as one SQL script both blitz sql
# and the sqlite3 shell accept. Variables: rows (100000), batch (100 rows per
# INSERT), per_tx (INSERTs per BEGIN/COMMIT), points (100000), ranges (1000),
# span (rows a range SELECT returns, about).
function kval(i) { return (i * 7919) % rows }                       # column a: a permutation of 0..rows-1
function bval(i) { return sprintf("k%08d", (i * 104729) % 1000003) } # column b: scattered strings, about one per 10 numbers
BEGIN {
	if (!rows) rows = 100000
	if (!batch) batch = 100
	if (!per_tx) per_tx = 10
	if (!points) points = 100000
	if (!ranges) ranges = 1000
	if (!span) span = 100
	print "CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, a INTEGER NOT NULL, b VARCHAR(16) NOT NULL, c INTEGER, pad VARCHAR(64));"
	print "CREATE INDEX t_a ON t (a);"
	print "CREATE INDEX t_b ON t (b);"
	pad = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghij" # 46 bytes
	n = 0; stmts = 0
	for (i = 1; i <= rows; ) {
		if (stmts % per_tx == 0) print "BEGIN;"
		line = "INSERT INTO t (id, a, b, c, pad) VALUES "
		for (j = 0; j < batch && i <= rows; j++) {
			line = line (j ? ", " : "") "(" i ", " kval(i) ", '" bval(i) "', " (i % 1000) ", '" pad "')"
			i++
		}
		print line ";"
		stmts++
		if (stmts % per_tx == 0 || i > rows) print "COMMIT;"
	}
	# point lookups in scattered order
	for (j = 0; j < points; j++)
		print "SELECT id, a, b, c, pad FROM t WHERE id = " ((j * 48271) % rows) + 1 ";"
	# range lookups: half on a (integers), half on b (strings)
	for (j = 0; j < ranges; j++) {
		lo = (j * 6271) % (rows - span)
		if (j % 2 == 0)
			print "SELECT id, a, b, c FROM t WHERE a >= " lo " AND a < " lo + span ";"
		else
			print "SELECT id, a, b, c FROM t WHERE b >= '" sprintf("k%08d", lo * 10) "' AND b < '" sprintf("k%08d", (lo + span) * 10) "';"
	}
}
