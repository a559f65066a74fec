-- client: -vvv
-- The info line MariaDB sends under "Query OK" for each statement class
-- (the client prints it with -vvv): "Records: N  Duplicates: N  Warnings:
-- N" after an INSERT or REPLACE of several rows or from a SELECT, CREATE
-- TABLE ... SELECT, ALTER TABLE (not a bare RENAME) and CREATE/DROP INDEX;
-- "Rows matched" after UPDATE; LOAD DATA's "Records ... Deleted ...
-- Skipped"; nothing after a single-row INSERT, DELETE or other DDL.
-- Checked line by line against MariaDB 10.11 (all but the times).
CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10));
INSERT INTO t VALUES (1, 'a');
INSERT INTO t VALUES (2, 'b'), (3, 'c'), (4, 'd');
INSERT IGNORE INTO t VALUES (4, 'x'), (5, 'e');
INSERT INTO t VALUES (5, 'y'), (6, 'f') ON DUPLICATE KEY UPDATE v = 'z';
INSERT INTO t VALUES (1, 'a'), (7, 'g') ON DUPLICATE KEY UPDATE v = VALUES(v);
INSERT IGNORE INTO t VALUES (1, 'a'), (8, 'h') ON DUPLICATE KEY UPDATE v = 'yy';
REPLACE INTO t VALUES (6, 'g'), (9, 'i');
REPLACE INTO t VALUES (1, 'yy'), (2, 'q'), (10, 'n');
REPLACE INTO t VALUES (11, 'k');
INSERT IGNORE INTO t VALUES (1, 'dup');
INSERT IGNORE INTO t VALUES (12, 'toolongvalue'), (13, 'm');
CREATE TABLE u (id INT PRIMARY KEY, v VARCHAR(10));
INSERT INTO u SELECT * FROM t;
INSERT INTO u SELECT id + 100, v FROM t WHERE id < 0;
INSERT IGNORE INTO u SELECT id + 1, v FROM t;
REPLACE INTO u SELECT * FROM u;
UPDATE t SET v = 'q' WHERE id < 3;
UPDATE t SET v = 'q' WHERE id < 3;
UPDATE IGNORE t SET v = 'toolongvalue' WHERE id >= 12;
DELETE FROM t WHERE id = 1;
DELETE FROM u;
ALTER TABLE t ADD COLUMN w INT;
ALTER TABLE t ADD INDEX iv (v);
ALTER TABLE t DROP INDEX iv;
CREATE INDEX iw ON t (w);
DROP INDEX iw ON t;
ALTER TABLE t COMMENT 'hi';
ALTER TABLE t RENAME TO t2;
ALTER TABLE t2 RENAME TO t;
CREATE TABLE c AS SELECT * FROM t;
CREATE TABLE d SELECT id FROM t WHERE id < 0;
TRUNCATE TABLE c;
DROP TABLE d;
LOAD DATA LOCAL INFILE 'okinfo.tsv' INTO TABLE u;
LOAD DATA LOCAL INFILE 'okinfo.tsv' IGNORE INTO TABLE u;
LOAD DATA LOCAL INFILE 'okinfo.tsv' REPLACE INTO TABLE u;
SELECT * FROM u ORDER BY id;
PREPARE s FROM 'SELECT ?';
EXECUTE s USING 1, 2;
EXECUTE s USING NULL;
DEALLOCATE PREPARE s;
