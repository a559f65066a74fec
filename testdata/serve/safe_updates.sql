-- client: --safe-updates
-- mariadb --safe-updates (--i-am-a-dummy) sets sql_safe_updates,
-- sql_select_limit and max_join_size on connect.
SELECT @@sql_safe_updates, @@sql_select_limit, @@max_join_size;
CREATE TABLE t (id INT PRIMARY KEY, v INT);
INSERT INTO t VALUES (1, 1), (2, 2);
UPDATE t SET v = 0;
DELETE FROM t;
UPDATE t SET v = 0 WHERE id = 1;
DELETE FROM t LIMIT 1;
SELECT * FROM t;
-- sql_select_limit (1000 from --safe-updates) cuts a SELECT without LIMIT.
SET sql_select_limit = 2;
INSERT INTO t VALUES (3, 3), (4, 4), (5, 5);
SELECT * FROM t ORDER BY id;
SELECT * FROM t ORDER BY id LIMIT 3;
SELECT COUNT(*) FROM (SELECT * FROM t) d;
