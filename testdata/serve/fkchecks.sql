-- SET foreign_key_checks = 0 alone, as people type it and as ORMs' schema
-- loaders and Rails' fixtures send it: the server's own SET path used to
-- keep the value for @@foreign_key_checks and not tell the session, so
-- the checks stayed on (a child table created before its parent was 1005,
-- an orphan row 1452).
SET foreign_key_checks = 0;
SELECT @@foreign_key_checks;
SHOW VARIABLES LIKE 'foreign_key_checks';
CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES parent (id));
CREATE TABLE parent (id INT PRIMARY KEY);
INSERT INTO child VALUES (1, 99);
SET SESSION foreign_key_checks = 1;
INSERT INTO child VALUES (2, 98);
SET @@foreign_key_checks = OFF;
INSERT INTO child VALUES (3, 97);
SET @@session.foreign_key_checks = DEFAULT;
SELECT @@foreign_key_checks, @@session.foreign_key_checks;
SHOW VARIABLES LIKE 'foreign_key_checks';
INSERT INTO child VALUES (4, 96);
SELECT * FROM child ORDER BY id;
SET foreign_key_checks = 2;
