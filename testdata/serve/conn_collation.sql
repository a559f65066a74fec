-- String literals compare under the connection's collation, which the
-- stock mariadb client's handshake makes utf8mb3_general_ci; a column's
-- collation still wins.
SELECT @@collation_connection;
SELECT 'a' = 'A', 'a' < 'B', STRCMP('a','A'), 'abc' LIKE 'ABC', 'x' IN ('X'), FIELD('A','a'), LOCATE('B','abc'), INSTR('abc','B'), 'é' = 'e';
SELECT DISTINCT c FROM (SELECT 'a' c UNION ALL SELECT 'A') t;
SELECT MAX(c) FROM (SELECT 'a' c UNION ALL SELECT 'B') t;
CREATE TABLE cb (id INT PRIMARY KEY, s VARCHAR(10) COLLATE utf8mb4_bin, g VARCHAR(10) COLLATE utf8mb4_general_ci);
INSERT INTO cb VALUES (1, 'a', 'a');
SELECT COUNT(*) FROM cb WHERE s = 'A';
SELECT COUNT(*) FROM cb WHERE g = 'A';
SET NAMES utf8mb4 COLLATE utf8mb4_bin;
SELECT 'a' = 'A', @@collation_connection;
SET NAMES utf8mb4;
SELECT 'a' = 'A', @@collation_connection;
DROP TABLE cb;
