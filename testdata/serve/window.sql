-- Window functions through `blitz serve` and the stock mariadb client
-- (sqlshim/server/mariadb_test.go runs it with --table --force and
-- compares the output with window.expected, which matches what MariaDB
-- 10.11 prints for the same script).
CREATE TABLE w (id INT NOT NULL PRIMARY KEY, g VARCHAR(5), x DECIMAL(6,2));
INSERT INTO w VALUES (1, 'a', 1.50), (2, 'a', 2.25), (3, 'b', NULL), (4, 'b', 4.00), (5, NULL, 5.00);
SELECT id, g, ROW_NUMBER() OVER w rn, RANK() OVER (ORDER BY g) r, PERCENT_RANK() OVER (ORDER BY id) pr, CUME_DIST() OVER (ORDER BY g) cd, SUM(x) OVER w s, AVG(x) OVER (PARTITION BY g) a, LAG(x) OVER w prev FROM w WINDOW w AS (PARTITION BY g ORDER BY id) ORDER BY id;
SELECT g, MAX(x) m, SUM(COUNT(*)) OVER (ORDER BY g) running FROM w GROUP BY g ORDER BY g;
SELECT id FROM w WHERE ROW_NUMBER() OVER () > 1;
