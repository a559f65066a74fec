-- client: --default-character-set=latin1 --column-type-info
-- Result metadata on a latin1 connection: text columns carry latin1's
-- collation (8) and lengths in latin1 characters, binary ones stay binary.
CREATE TABLE m (id INT PRIMARY KEY, s VARCHAR(10) COLLATE utf8mb4_general_ci, b VARBINARY(10));
INSERT INTO m VALUES (1, 'é', 'x');
SELECT s, b FROM m;
SET character_set_results = NULL;
SELECT s FROM m;
