-- client: --column-type-info
-- Result metadata as the mariadb client shows it (--column-type-info):
-- each column type of a table, aggregates, literals, functions, WITH
-- ROLLUP. Compared with MariaDB 10.11 on a utf8mb4_bin database, field by
-- field: flags (NOT_NULL, BINARY, BLOB, UNSIGNED), character sets, schema
-- and original names, and table columns' lengths agree, and so do the
-- type and length of integer literals, comparisons, predicates, INT
-- functions (LENGTH), integer arithmetic, COALESCE and integer CASTs
-- (LONG up to 9 characters, as MariaDB: colmeta_int.go), TRUE (INT(5)),
-- decimal expressions' lengths and decimals (colmeta_dec.go) and
-- LAST_INSERT_ID() over no row (BIGINT(21) UNSIGNED). blitz still differs
-- in string expressions' lengths and decimals (MariaDB: 39), in a
-- DOUBLE literal's length (1e3: 3), in the BINARY flag of expressions of
-- a _bin collation and in the key flags (PRI_KEY, UNIQUE_KEY,
-- MULTIPLE_KEY, PART_KEY).
CREATE TABLE k (id INT AUTO_INCREMENT PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, bi BIGINT NOT NULL DEFAULT 0,
  fl FLOAT, db DOUBLE, de DECIMAL(12,3), ch CHAR(4), vc VARCHAR(20) NOT NULL DEFAULT 'x', tx TEXT, bn BINARY(3),
  vb VARBINARY(16), bl BLOB, d DATE, dt DATETIME(6), ts TIMESTAMP NULL DEFAULT NULL, t TIME, y YEAR,
  e ENUM('a','b'), s SET('x','y'));
INSERT INTO k (ti, si, de, vc, d, dt) VALUES (1, 2, 3.5, 'a', '2024-01-01', '2024-01-01 00:00:00'), (2, 3, 4.25, 'b', '2024-01-02', '2024-01-02 00:00:00');
SELECT * FROM k WHERE id = 1;
SELECT COUNT(*), COUNT(ti), SUM(ti), AVG(de), MIN(ti), MAX(vc), MIN(d), MAX(dt) FROM k;
SELECT 1, 1.5, 'abc', -1, 1e3, NULL, 18446744073709551615, TRUE, 0.1 + 0.2, 2 * 3, 1 / 3, 10 DIV 3;
SELECT id + 1, ti * 2, vc = 'a', ti IS NULL, 2 <=> NULL, COALESCE(ti, 0), IFNULL(vc, 'n'), LENGTH(vc), CAST(vc AS SIGNED), CONCAT(vc, 'x') FROM k WHERE id = 1;
SELECT NOW(), CURDATE(), CURTIME(), CONNECTION_ID() > 0, LAST_INSERT_ID(), ROW_COUNT(), DATABASE() FROM k WHERE id = 0;
SELECT id + 1 AS n, COUNT(*) FROM k GROUP BY id + 1 WITH ROLLUP;
