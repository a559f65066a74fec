-- client: --column-type-info
-- BIT columns as MariaDB 10.11 sends them (checked against it field by
-- field): type BIT, collation binary, length M, UNSIGNED (NOT_NULL for
-- NOT NULL), the value its (M+7)/8 big-endian bytes, which the client
-- prints raw; id + 0 is INT(M+1) UNSIGNED. blitz differs only where it
-- does for every type (coltypes.sql): the key flags and NO_DEFAULT_VALUE,
-- and the lengths and decimals of string expressions (HEX, BIN).
CREATE TABLE bits (id BIT(8) PRIMARY KEY, a BIT(1) NOT NULL DEFAULT b'0', m BIT(64), w BIT(10) DEFAULT b'1010');
INSERT INTO bits VALUES (b'1000001', 1, NULL, 0x142), (0x42, b'0', 0x4243444546474849, DEFAULT);
SELECT id, a, m, w FROM bits ORDER BY id;
SELECT id + 0, HEX(w), BIN(w), w = 10 FROM bits WHERE id = b'1000001';
