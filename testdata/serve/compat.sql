-- client: -vvv --show-warnings
-- What the stock mariadb client shows for statements MariaDB answers with
-- notes or specific errors, as MariaDB 10.11 shows them (checked line by
-- line but for the times, and for SHOW ENGINE: MariaDB has InnoDB, blitz
-- answers as a MariaDB without it).
CREATE TABLE d (id INT PRIMARY KEY, v DECIMAL(5,2), b BINARY(4), UNIQUE KEY ub (b));
INSERT INTO d VALUES (1, 1.005, 'ab');
INSERT INTO d VALUES (2, 1.5, 'ab');
UPDATE d SET v = 2.125 WHERE id = 1;
CREATE TABLE e (x ENUM('a','A')) COLLATE utf8mb4_general_ci;
CREATE TABLE p (id INT PRIMARY KEY);
CREATE TABLE c (id INT PRIMARY KEY, p INT, CONSTRAINT f FOREIGN KEY (p) REFERENCES p (id));
ALTER TABLE c DROP FOREIGN KEY IF EXISTS f;
ALTER TABLE c DROP FOREIGN KEY IF EXISTS f;
ALTER TABLE c ADD COLUMN IF NOT EXISTS p INT;
ALTER TABLE c DROP COLUMN IF EXISTS zz;
SHOW ENGINE INNODB STATUS;
DROP TABLE c, p, d;
