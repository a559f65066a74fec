-- client: --default-character-set=latin1
-- A latin1 client (the handshake's collation 8, latin1_swedish_ci). This
-- file is latin1 (cp1252) text: the server converts the statements to
-- UTF-8, which is what is stored (HEX shows it), and result text back to
-- latin1. The expected output is MariaDB's, and latin1 too.
SELECT @@character_set_client, @@character_set_connection, @@character_set_results, @@collation_connection;
CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(20));
INSERT INTO t VALUES (1, 'é'), (2, 'Ü'), (3, '€'), (4, 'Ångström €5');
SELECT id, s, HEX(s), LENGTH(s), CHAR_LENGTH(s) FROM t ORDER BY id;
SELECT id FROM t WHERE s = 'Ü';
SELECT s AS `café` FROM t WHERE id = 1;
UPDATE t SET s = CONCAT(s, '·') WHERE id = 2;
SELECT s, HEX(s) FROM t WHERE id = 2;
-- A character latin1 does not have, stored by a UTF-8 statement, reads
-- back as '?' on the latin1 connection.
INSERT INTO t VALUES (5, _utf8mb4 X'E6BCA2');
SELECT id, s, HEX(s) FROM t WHERE id = 5;
-- Error messages come in latin1 too.
SELECT * FROM `tést`;
-- SET NAMES utf8mb4: the same rows in UTF-8 (this file's next lines are
-- latin1 still, so only ASCII is sent).
SET NAMES utf8mb4;
SELECT id, s FROM t WHERE id IN (1, 5) ORDER BY id;
SET NAMES latin1;
SELECT id, s FROM t WHERE id IN (1, 5) ORDER BY id;
-- character_set_results NULL: text as stored (UTF-8).
SET character_set_results = NULL;
SELECT id, s FROM t WHERE id = 3;
