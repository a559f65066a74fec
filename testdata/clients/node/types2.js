const mysql = require('mysql2/promise');
(async () => {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: +process.env.PORT, user: 'root', database: process.env.DB || 'db' });
  const exprs = ['1', '-1', '123456789', '-12345678', '1234567890', '0', "1 = 1", "1 < 2", "'a' = 'a'", "1 <=> NULL", "NULL IS NULL", "1 IS NOT NULL", "1 IS TRUE", "NOT 1", "!1", "1 AND 0", "1 OR 0", "1 XOR 1", "1 && 1", "'a' LIKE 'a'", "'a' NOT LIKE 'b'", "'a' REGEXP 'a'", "1 IN (1, 2)", "1 NOT IN (1)", "1 BETWEEN 0 AND 2", "EXISTS (SELECT 1)", "NOT EXISTS (SELECT 1)", "(SELECT 1)", "LENGTH('abc')", "CHAR_LENGTH('abc')", "OCTET_LENGTH('a')", "YEAR(NOW())", "MONTH(NOW())", "DAY(NOW())", "HOUR(NOW())", "DAYOFWEEK(NOW())", "LOCATE('a','ba')", "INSTR('ba','a')", "ASCII('a')", "1 = NULL", "ISNULL(1)", "STRCMP('a','b')", "-(1)", "SIGN(-3)", "DATEDIFF(NOW(), NOW())", "TIMESTAMPDIFF(SECOND, NOW(), NOW())", "FIND_IN_SET('a','a,b')", "BIT_COUNT(3)", "CRC32('a')", "1 DIV 1", "5 % 2", "JSON_CONTAINS('[1]', '1')", "JSON_VALID('1')", "JSON_LENGTH('[1]')", "IS_FREE_LOCK('x')", "COALESCE(1, 2)"];
  for (const e of exprs) {
    try { const [r, f] = await c.query('SELECT ' + e + ' AS v'); console.log(e.padEnd(36), JSON.stringify(r[0].v), 't' + f[0].columnType, 'l' + f[0].columnLength, 'f' + f[0].flags); } catch (err) { console.log(e.padEnd(36), 'ERR ' + err.message.slice(0, 60)); }
  }
  await c.end();
})();
