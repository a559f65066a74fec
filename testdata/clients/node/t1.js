require('reflect-metadata');
const { DataSource, EntitySchema } = require('typeorm');
const Author = new EntitySchema({ name: 'Author', tableName: 'author', columns: {
  id: { primary: true, type: 'int', generated: true },
  name: { type: 'varchar', length: 100 },
  email: { type: 'varchar', length: 150, unique: true },
  active: { type: 'boolean', default: true },
  rating: { type: 'decimal', precision: 5, scale: 2, nullable: true },
  data: { type: 'json', nullable: true },
  born: { type: 'date', nullable: true },
  createdAt: { type: 'datetime', createDate: true },
  updatedAt: { type: 'datetime', updateDate: true },
  version: { type: 'int', version: true },
}, relations: { books: { type: 'one-to-many', target: 'Book', inverseSide: 'author' } }, indices: [{ name: 'IDX_author_name', columns: ['name'] }] });
const Book = new EntitySchema({ name: 'Book', tableName: 'book', columns: {
  id: { primary: true, type: 'varchar', length: 36, generated: 'uuid' },
  title: { type: 'varchar', length: 200 },
  pages: { type: 'int', default: 0 },
  price: { type: 'double', nullable: true },
  big: { type: 'bigint', nullable: true },
  status: { type: 'enum', enum: ['draft', 'out'], default: 'draft' },
}, relations: { author: { type: 'many-to-one', target: 'Author', inverseSide: 'books', joinColumn: { name: 'authorId' }, onDelete: 'CASCADE' } }, uniques: [{ name: 'UQ_book_title_author', columns: ['title', 'author'] }] });
const ds = new DataSource({ type: process.env.TYPE || 'mysql', host: '127.0.0.1', port: +process.env.PORT, username: 'root', password: '', database: process.env.DB || 'db', entities: [Author, Book], synchronize: true, logging: process.env.LOGSQL ? ['query', 'error'] : false, dropSchema: !!process.env.DROP });
const show = (n, v) => console.log('OK', n, JSON.stringify(v, (k, x) => typeof x === 'bigint' ? x + 'n' : x).slice(0, 600));
const step = async (n, f) => { try { show(n, await f()); } catch (e) { console.log('FAIL', n, e.name, e.code, e.errno, e.message, e.query ? '\n   SQL: ' + e.query.slice(0, 500) : ''); } };
(async () => {
  await step('initialize', async () => { await ds.initialize(); return 'ok'; });
  if (!ds.isInitialized) return;
  const A = ds.getRepository('Author'), B = ds.getRepository('Book');
  await step('synchronize again', async () => { await ds.synchronize(); return 'ok'; });
  await step('pending sql', async () => { const q = await ds.driver.createSchemaBuilder().log(); return q.upQueries.map(x => x.query); });
  await step('save', async () => A.save({ name: 'Ann', email: 'a@x', rating: '4.50', data: { a: [1] }, born: '1990-01-02' }));
  await step('insert many', async () => (await A.insert([{ name: 'Bob', email: 'b@x' }, { name: 'Cid', email: 'c@x', active: false }])).identifiers);
  await step('save book', async () => B.save({ title: 'T1', pages: 100, price: 9.5, big: '9007199254740993', author: { id: 1 } }));
  await step('save books', async () => (await B.save([{ title: 'T2', author: { id: 1 } }, { title: 'T3', author: { id: 2 } }])).map(b => b.id.length));
  await step('find', () => A.find({ where: { active: true }, order: { name: 'DESC' }, take: 2 }));
  await step('find relations', () => A.find({ relations: { books: true }, order: { id: 'ASC' } }));
  await step('findOneBy', () => A.findOneBy({ email: 'a@x' }));
  await step('qb join', () => B.createQueryBuilder('b').leftJoinAndSelect('b.author', 'a').where('a.name = :n', { n: 'Ann' }).orderBy('b.title').getMany());
  await step('count', () => A.count());
  await step('countBy', () => B.countBy({ status: 'draft' }));
  await step('findAndCount', () => A.findAndCount({ skip: 1, take: 1, order: { id: 'ASC' } }));
  await step('getRawMany', () => B.createQueryBuilder('b').select('b.authorId', 'a').addSelect('COUNT(*)', 'n').addSelect('SUM(b.pages)', 's').groupBy('b.authorId').getRawMany());
  await step('update', () => A.update({ id: 1 }, { name: 'Anne' }));
  await step('save existing (version)', async () => { const a = await A.findOneBy({ id: 1 }); a.rating = '3.00'; return A.save(a); });
  await step('upsert', () => A.upsert([{ name: 'Ann3', email: 'a@x' }, { name: 'Dee', email: 'd@x' }], ['email']));
  await step('tx', () => ds.transaction(async (m) => { await m.save('Author', { name: 'Eve', email: 'e@x' }); return m.count('Author'); }));
  await step('tx rollback', async () => { try { await ds.transaction(async (m) => { await m.save('Author', { name: 'Fay', email: 'f@x' }); throw new Error('x'); }); } catch (e) {} return A.countBy({ email: 'f@x' }); });
  await step('queryRunner tx', async () => { const qr = ds.createQueryRunner(); await qr.connect(); await qr.startTransaction(); await qr.manager.update('Author', { id: 2 }, { name: 'Bobby' }); await qr.rollbackTransaction(); await qr.release(); return (await A.findOneBy({ id: 2 })).name; });
  await step('delete', () => A.delete({ email: 'c@x' }));
  await step('raw', () => ds.query('SELECT COUNT(*) n FROM author WHERE id > ?', [0]));
  await step('getTable', async () => { const qr = ds.createQueryRunner(); const t = await qr.getTable('book'); await qr.release(); return { cols: t.columns.map(c => [c.name, c.type, c.length, c.isNullable, c.default, c.isPrimary, c.isGenerated, c.generationStrategy]), idx: t.indices.map(i => [i.name, i.columnNames, i.isUnique]), uq: t.uniques.map(u => [u.name, u.columnNames]), fk: t.foreignKeys.map(f => [f.name, f.columnNames, f.referencedTableName]) }; });
  await ds.destroy();
})();
