-- What tools read about the server (mariadb-admin variables, DBeaver,
-- mycli): the instance variables (sqlshim/sysvars.go), which depend on
-- where the test runs, hence the comparisons; SET of them is refused.
SELECT @@datadir LIKE '/%/' AS datadir_abs, @@port > 0 AS has_port, @@socket, @@pid_file, @@log_error, @@secure_file_priv;
SELECT @@hostname <> '' AS has_host, @@basedir LIKE '%/' AS basedir_slash, @@tmpdir <> '' AS has_tmp;
SELECT CONCAT(@@datadir, DATABASE()) LIKE '%/e2e' AS datadir_holds_db, @@global.datadir = @@datadir AS same;
SELECT @@session.datadir;
SELECT 1, @@local.port;
SET GLOBAL datadir = '/x';
SET @a = 1, secure_file_priv = '/tmp';
SHOW VARIABLES LIKE 'pid_file';
-- SET sql_notes = 0 hides notes from SHOW WARNINGS and the count.
SET sql_notes = 0;
DROP TABLE IF EXISTS nosuch;
SELECT @@sql_notes, @@warning_count;
SHOW VARIABLES LIKE 'sql_notes';
SET sql_notes = 1;
DROP TABLE IF EXISTS nosuch;
SHOW WARNINGS;
-- SHOW statements about a binary log and replication.
SHOW BINARY LOGS;
SHOW MASTER STATUS;
SHOW SLAVE STATUS;
SHOW STORAGE ENGINES;
-- DROP DATABASE of the current database leaves none until CREATE
-- DATABASE and USE (sqlshim/nodb.go).
CREATE TABLE t (a INT);
DROP DATABASE e2e;
SELECT DATABASE();
SHOW TABLES;
USE e2e;
CREATE DATABASE e2e;
USE e2e;
SELECT DATABASE();
SHOW TABLES;
-- Files the server would read or write where the client names them:
-- refused (LOAD DATA LOCAL INFILE reads the client's).
CREATE TABLE t (a INT);
SELECT 1 INTO OUTFILE '/tmp/blitz-never-written';
LOAD DATA INFILE '/etc/hostname' INTO TABLE t;
