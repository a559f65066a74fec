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
