-- System variables in statements that mix them with anything else go
-- through the SQL layer, which reads and sets the server's variables
-- (sqlshim/sysvars.go, sqlshim/server/sysvars.go): before, these answered
-- 1193 or dropped the assignment. Rails' connect statement:
SET NAMES utf8mb4, @@SESSION.sql_mode = CONCAT(CONCAT(@@sql_mode, ',STRICT_ALL_TABLES'), ',NO_AUTO_VALUE_ON_ZERO'), @@SESSION.sql_auto_is_null = 0, @@SESSION.wait_timeout = 2147483;
SELECT @@sql_mode, @@wait_timeout, @@sql_auto_is_null;
SELECT 1 AS one, @@wait_timeout, @@session.auto_increment_increment, @@GLOBAL.max_allowed_packet;
SELECT @@max_allowed_packet DIV 1024 AS kib, IF(@@autocommit, 'on', 'off') AS ac;
SELECT @@version = VERSION() AS same;
SET @saved = @@net_write_timeout, net_write_timeout = @saved * 2;
SELECT @@net_write_timeout, @saved;
SET @a = 1, NAMES utf8mb4 COLLATE utf8mb4_unicode_ci;
SELECT @@character_set_client, @@character_set_results, @@collation_connection;
/*!40101 SET @b = 2, character_set_client = utf8mb3 */;
SELECT @@character_set_client, @b;
SET @a = 1, wait_timeout = DEFAULT;
SELECT @@wait_timeout;
-- Variables drivers and migration tools set or read at connect.
SET SESSION innodb_lock_wait_timeout = 50, SESSION lock_wait_timeout = 60;
SELECT @@innodb_lock_wait_timeout, @@lock_wait_timeout, @@net_buffer_length, @@sql_log_bin, @@explicit_defaults_for_timestamp;
SET @@SESSION.sql_log_bin = 0;
SHOW VARIABLES LIKE '%lock_wait_timeout';
-- Unknown and read-only names, alone or mixed.
SET @a = 1, no_such_variable = 3;
SELECT 1, @@no_such_variable;
SET version = 'x';
SET @a = 1, version_comment = 'x';
SELECT @a;
-- Table names are kept as written and compared without regard to case.
SELECT @@lower_case_table_names;
SHOW VARIABLES LIKE 'lower_case_table_names';
SELECT @@lower_case_file_system;
SHOW VARIABLES LIKE 'lower_case_file_system';
-- time_zone is the connection's: NOW() and TIMESTAMP columns follow it
-- (DATETIME does not), as a dump's saved-and-restored zone expects.
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+02:00' */;
CREATE TABLE tzt (ts TIMESTAMP NULL, dt DATETIME NULL);
INSERT INTO tzt VALUES ('2024-03-05 12:00:00', '2024-03-05 12:00:00');
SET time_zone = '-05:00';
SELECT @@time_zone, ts, dt, TIMESTAMPDIFF(HOUR, UTC_TIMESTAMP(), NOW()) AS h FROM tzt;
SET time_zone = 'bogus';
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;
SELECT @@time_zone, @@system_time_zone, ts FROM tzt;
DROP TABLE tzt;
