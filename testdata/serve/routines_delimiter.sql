-- The DELIMITER ;; blocks of a mariadb-dump --routines --events dump, as
-- the mariadb client sends them (each block one COM_QUERY, ';' inside):
-- blitz refuses each CREATE with 1235 and runs none of its body. The
-- server used to split the query at the body's ';' and run the pieces:
-- the trigger's DELETE FROM audit and the event's DROP TABLE accounts ran.
CREATE TABLE accounts (id INT PRIMARY KEY, owner VARCHAR(20));
CREATE TABLE audit (id INT PRIMARY KEY, note VARCHAR(40));
INSERT INTO accounts VALUES (1, 'ann;'), (2, 'bob');
INSERT INTO audit VALUES (1, 'opened; both'), (2, 'kept');
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER accounts_ai AFTER INSERT ON accounts FOR EACH ROW BEGIN
  DELETE FROM audit;
  INSERT INTO audit VALUES (3, CONCAT('new ', NEW.owner));
END */;;
/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `nightly` ON SCHEDULE EVERY 1 DAY DISABLE DO BEGIN
  DELETE FROM audit WHERE id > 0;
  DROP TABLE accounts;
END */;;
CREATE DEFINER=`root`@`localhost` PROCEDURE `reset_all`()
BEGIN
  UPDATE audit SET note = 'reset';
  SELECT 'from the body';
END ;;
DELIMITER ;
SELECT * FROM accounts ORDER BY id;
SELECT * FROM audit ORDER BY id;
-- Other statements sent together still run one by one.
DELIMITER ;;
SELECT 1; SELECT 2;;
DELIMITER ;
