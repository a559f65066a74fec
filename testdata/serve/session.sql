-- End-to-end session through `blitz serve` with the stock mariadb client
-- (sqlshim/server/mariadb_test.go runs it with --table --force and
-- compares the output with session.expected).
SELECT DATABASE();
SELECT @@max_allowed_packet, @@session.auto_increment_increment, @@character_set_client;
SET NAMES utf8mb4;
CREATE TABLE items (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(40) NOT NULL,
  price DECIMAL(10,2),
  qty SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  ratio DOUBLE,
  added DATE,
  seen DATETIME,
  note TEXT
) ENGINE = BLITZDB, CRASH_SAFE;
INSERT INTO items (name, price, qty, ratio, added, seen, note) VALUES
  ('apple', 1.25, 10, 0.5, '2024-01-02', '2024-01-02 03:04:05', NULL),
  ('pear', 2.00, 0, 1e20, '2024-02-29', '2024-02-29 23:59:59', 'ripe'),
  ('fig', NULL, 7, -3.75, NULL, NULL, 'dried');
SELECT LAST_INSERT_ID();
SELECT * FROM items ORDER BY id;
UPDATE items SET qty = qty + 1 WHERE name = 'pear';
SELECT id, name, qty FROM items WHERE qty > 5 ORDER BY id;
INSERT INTO items (id, name) VALUES (1, 'duplicate');
INSERT INTO items (name, qty) VALUES ('too many', 70000);
SELECT COUNT(*), SUM(qty), MIN(price), MAX(id) FROM items;
CREATE TABLE latest (k INT PRIMARY KEY, v VARCHAR(20), ver INT) ENGINE = BLITZDB, CRASH_SAFE;
INSERT INTO latest VALUES (1, 'first', 5) ON DUPLICATE KEY UPDATE v = IF(VALUES(ver) > ver, VALUES(v), v), ver = GREATEST(ver, VALUES(ver));
INSERT INTO latest VALUES (1, 'older', 3) ON DUPLICATE KEY UPDATE v = IF(VALUES(ver) > ver, VALUES(v), v), ver = GREATEST(ver, VALUES(ver));
INSERT INTO latest VALUES (1, 'newer', 9) ON DUPLICATE KEY UPDATE v = IF(VALUES(ver) > ver, VALUES(v), v), ver = GREATEST(ver, VALUES(ver));
SELECT * FROM latest;
BEGIN;
DELETE FROM items WHERE id = 1;
SELECT COUNT(*) FROM items;
ROLLBACK;
SELECT COUNT(*) FROM items;
SELECT * FROM no_such_table;
SHOW TABLES;
-- Who the session is, as the server reports it.
SHOW GRANTS;
SELECT CURRENT_USER(), USER() LIKE 'root@127.0.0.1', CONNECTION_ID() > 0 FROM items LIMIT 1;
SHOW CREATE DATABASE e2e;
