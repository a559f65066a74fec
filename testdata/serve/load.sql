-- LOAD DATA LOCAL INFILE through blitz serve: the mariadb client sends the
-- file (paths are relative to testdata/serve, where the test runs it).
CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(10), n INT NOT NULL DEFAULT 7) ENGINE = BLITZDB, CRASH_SAFE;
LOAD DATA LOCAL INFILE '../sql/load/quoted.csv' INTO TABLE items FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' IGNORE 1 LINES;
SHOW WARNINGS;
SELECT * FROM items ORDER BY id;
LOAD DATA LOCAL INFILE '../sql/load/dup.csv' REPLACE INTO TABLE items FIELDS TERMINATED BY ',' (id, name) SET n = id * 100;
SELECT * FROM items ORDER BY id;
LOAD DATA LOCAL INFILE '../sql/load/basic.tsv' INTO TABLE items (id, name);
SHOW WARNINGS;
SELECT COUNT(*), SUM(n) FROM items;
LOAD DATA INFILE '/etc/hostname' INTO TABLE items;
SHOW WARNINGS;
PREPARE s FROM 'SELECT COUNT(*) FROM items WHERE n > ?';
SET @x = 50;
EXECUTE s USING @x;
EXECUTE s USING @x * 2;
DEALLOCATE PREPARE s;
EXECUTE s USING 1;
SELECT COUNT(*) FROM items;
