const mariadb = require('mariadb');
const show = (n, v) => console.log('OK', n, JSON.stringify(v, (k, x) => typeof x === 'bigint' ? x + 'n' : x).slice(0, 500));
const step = async (n, f) => { try { show(n, await f()); } catch (e) { console.log('FAIL', n, e.code, e.errno, e.message.slice(0, 300)); } };
(async () => {
  const pool = mariadb.createPool({ host: '127.0.0.1', port: +process.env.PORT, user: 'root', database: process.env.DB || 'db', connectionLimit: 2, connectTimeout: 5000, acquireTimeout: 8000 });
  await step('ping', async () => { const c = await pool.getConnection(); await c.ping(); const v = c.serverVersion(); c.release(); return v; });
  await step('create', () => pool.query('CREATE TABLE IF NOT EXISTS md (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20), d DECIMAL(8,2), big BIGINT, ts DATETIME(3)) ENGINE=InnoDB'));
  await step('truncate', () => pool.query('TRUNCATE md'));
  await step('insert', () => pool.query('INSERT INTO md (name, d, big, ts) VALUES (?, ?, ?, ?)', ['a', 1.5, 9007199254740993n, new Date('2024-01-02T03:04:05.678Z')]));
  await step('execute', () => pool.execute('INSERT INTO md (name, d) VALUES (?, ?)', ['b', '2.25']));
  await step('batch', () => pool.batch('INSERT INTO md (name, d) VALUES (?, ?)', [['c', 1], ['d', 2], ['e', 3]]));
  await step('select', () => pool.query('SELECT * FROM md ORDER BY id'));
  await step('execute select', () => pool.execute('SELECT id, name, d, big FROM md WHERE id > ? ORDER BY id', [1]));
  await step('pipelined', async () => { const c = await pool.getConnection(); const rs = await Promise.all([c.query('SELECT 1 a'), c.query('SELECT 2 b'), c.execute('SELECT ? c', [3]), c.query('SELECT COUNT(*) n FROM md')]); c.release(); return rs; });
  await step('tx', async () => { const c = await pool.getConnection(); await c.beginTransaction(); await c.query("UPDATE md SET name='z' WHERE id=1"); await c.rollback(); const r = await c.query('SELECT name FROM md WHERE id=1'); c.release(); return r; });
  await step('error', () => pool.query('SELECT nope FROM md'));
  await step('after error', () => pool.query('SELECT 1 ok'));
  await pool.end();
})();
