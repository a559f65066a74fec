-- blitz demo: run it with
--   go run ./cmd/blitz sql -d "$(mktemp -d)" testdata/demo.sql
--
-- Two tables: `orders` is CRASH_SAFE (every commit goes through the redo
-- WAL and is durable when acknowledged), `products` is a plain table
-- (writes go straight to the data file). Both have secondary indexes, kept
-- in disposable files that blitz rebuilds from the data after a crash.

CREATE TABLE products (
  sku      VARCHAR(16) PRIMARY KEY,
  name     VARCHAR(64) NOT NULL,
  category VARCHAR(16) NOT NULL,
  price    DECIMAL(8,2) NOT NULL,
  stock    INT NOT NULL DEFAULT 0,
  KEY by_category (category, price)
) ENGINE = BLITZDB;

CREATE TABLE orders (
  id       BIGINT AUTO_INCREMENT PRIMARY KEY,
  sku      VARCHAR(16) NOT NULL,
  qty      INT NOT NULL,
  placed   DATE NOT NULL,
  KEY by_sku (sku),
  KEY by_day (placed)
) ENGINE = BLITZDB, CRASH_SAFE;

SHOW TABLES;
SHOW CREATE TABLE orders;

INSERT INTO products VALUES
  ('KB-01', 'Mechanical keyboard', 'input', 89.90, 12),
  ('MS-01', 'Wireless mouse', 'input', 24.50, 40),
  ('MS-02', 'Trackball', 'input', 59.00, 3),
  ('MN-27', '27-inch monitor', 'display', 279.00, 5),
  ('MN-32', '32-inch monitor', 'display', 399.00, 2),
  ('CB-HD', 'HDMI cable', 'cable', 7.99, 150);

-- A transaction: the order and the stock change commit together.
BEGIN;
INSERT INTO orders (sku, qty, placed) VALUES ('KB-01', 2, '2024-05-01');
UPDATE products SET stock = stock - 2 WHERE sku = 'KB-01';
COMMIT;

INSERT INTO orders (sku, qty, placed) VALUES
  ('MS-01', 1, '2024-05-01'), ('MN-27', 1, '2024-05-02'),
  ('CB-HD', 3, '2024-05-02'), ('MS-01', 2, '2024-05-03'),
  ('MN-32', 1, '2024-05-04');
SELECT LAST_INSERT_ID();

-- Access paths: a primary-key lookup (hash), an index prefix, an index
-- range, and a full scan.
EXPLAIN SELECT * FROM products WHERE sku = 'MS-02';
SELECT * FROM products WHERE sku = 'MS-02';

EXPLAIN SELECT name, price FROM products WHERE category = 'display';
SELECT name, price FROM products WHERE category = 'display' ORDER BY price;

EXPLAIN SELECT name FROM products WHERE category = 'input' AND price < 60;
SELECT name FROM products WHERE category = 'input' AND price < 60 ORDER BY price;

EXPLAIN SELECT id, sku FROM orders WHERE placed BETWEEN '2024-05-02' AND '2024-05-03';
SELECT id, sku FROM orders WHERE placed BETWEEN '2024-05-02' AND '2024-05-03' ORDER BY id;

EXPLAIN SELECT * FROM products WHERE stock < 5;
EXPLAIN SELECT * FROM products IGNORE INDEX (by_category) WHERE category = 'input';

-- Aggregates.
SELECT sku, SUM(qty) AS sold, COUNT(*) AS orders FROM orders GROUP BY sku ORDER BY sold DESC, sku;
SELECT category, COUNT(*), MIN(price), MAX(price), SUM(price * stock) AS stock_value
  FROM products GROUP BY category ORDER BY stock_value DESC;

-- Errors keep their MySQL numbers; --force would go on after them.
-- INSERT INTO products VALUES ('KB-01', 'dup', 'input', 1, 1);

-- Upserts.
INSERT INTO products (sku, name, category, price, stock) VALUES ('CB-HD', 'HDMI cable', 'cable', 7.99, 50)
  ON DUPLICATE KEY UPDATE stock = stock + VALUES(stock);
SELECT sku, stock FROM products WHERE sku = 'CB-HD';

SHOW TABLE STATUS;
CHECK TABLE products, orders;
