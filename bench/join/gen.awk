# gen.awk: the bench/join data set as SQL both blitz and sqlite3 read:
# customers (id, name, country), items (id, title, price in cents),
# orders (id, cust_id, item_id, qty, odate), in 1000-row INSERTs, 50 per
# transaction. Deterministic (fixed seed). No indexes: run.sh adds them.
#   awk -v orders=N -v customers=N -v items=N -f gen.awk
function pick(n) { return 1 + int(rand() * n) }
BEGIN {
	srand(42)
	split("fr de us uk es it jp br in cn ca mx pl nl se", cc, " ")
	print "CREATE TABLE customers (id INT NOT NULL, name VARCHAR(20), country VARCHAR(2));"
	print "CREATE TABLE items (id INT NOT NULL, title VARCHAR(20), price INT);"
	print "CREATE TABLE orders (id INT NOT NULL, cust_id INT, item_id INT, qty INT, odate DATE);"
	emit("customers", customers)
	emit("items", items)
	emit("orders", orders)
}
function row(t, i,   d) {
	if (t == "customers") return sprintf("(%d,'c%d','%s')", i, i, cc[pick(15)])
	if (t == "items") return sprintf("(%d,'item%d',%d)", i, i, 100 + pick(9900))
	d = pick(365) - 1
	return sprintf("(%d,%d,%d,%d,'%s')", i, pick(customers), pick(items), pick(5), day(d))
}
function day(d,   m, ml) {
	split("31 29 31 30 31 30 31 31 30 31 30 31", ml, " ")
	for (m = 1; d >= ml[m]; m++) d -= ml[m]
	return sprintf("2024-%02d-%02d", m, d + 1)
}
function emit(t, n,   i, line, k) {
	k = 0
	for (i = 1; i <= n; i += 1000) {
		if (k % 50 == 0) print "BEGIN;"
		line = "INSERT INTO " t " VALUES " row(t, i)
		for (j = i + 1; j < i + 1000 && j <= n; j++) line = line "," row(t, j)
		print line ";"
		k++
		if (k % 50 == 0) print "COMMIT;"
	}
	if (k % 50 != 0) print "COMMIT;"
}
