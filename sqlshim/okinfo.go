package sqlshim

import "fmt"

// The info texts of OK packets that MariaDB sends after statements that
// write many rows, which its client prints under "Query OK" (and
// mysql_info() returns). UPDATE's "Rows matched" is the server's
// (sqlshim/server), LOAD DATA's is loadData's.

// recordsInfo is the info text of an INSERT or REPLACE of several rows
// (a VALUES list of more than one row, or a SELECT), of CREATE TABLE ...
// SELECT, and of ALTER TABLE and CREATE/DROP INDEX: records rows went in
// (or were copied), duplicates of them met a duplicate key (ignored,
// replaced or updated), and the statement's warnings so far.
func (x *execCtx) recordsInfo(records, duplicates uint64) string {
	return fmt.Sprintf("Records: %d  Duplicates: %d  Warnings: %d", records, duplicates, len(x.s.warnings))
}

// insertCounts counts the rows of one INSERT or REPLACE for its info
// text, as MariaDB does: records rows given, copied of them written
// (inserted or, for ON DUPLICATE KEY UPDATE, changing the row they
// collided with), replaced rows deleted by REPLACE and updated rows
// changed by ON DUPLICATE KEY UPDATE.
type insertCounts struct {
	records, copied, replaced, updated uint64
}

// add counts one row as insertRow reported it: affected rows, and
// whether a new row was inserted.
func (c *insertCounts) add(affected uint64, inserted bool) {
	c.records++
	switch {
	case inserted:
		c.copied++
		if affected > 1 {
			c.replaced += affected - 1
		}
	case affected == 2: // ON DUPLICATE KEY UPDATE changed the old row
		c.copied++
		c.updated++
	}
}

// info is the statement's info text; with IGNORE every row not written
// counts as a duplicate.
func (c *insertCounts) info(x *execCtx, ignore bool) string {
	if ignore {
		return x.recordsInfo(c.records, c.records-c.copied)
	}
	return x.recordsInfo(c.records, c.replaced+c.updated)
}
