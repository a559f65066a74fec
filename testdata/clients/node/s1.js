const { Sequelize, DataTypes, Op } = require('sequelize');
const log = process.env.LOGSQL ? (s) => console.log('  SQL', s.slice(0, 300)) : false;
const seq = new Sequelize(process.env.DB || 'db', 'root', '', { host: '127.0.0.1', port: +process.env.PORT, dialect: 'mysql', logging: log, pool: { max: 3 } });
const User = seq.define('User', {
  email: { type: DataTypes.STRING, allowNull: false, unique: true },
  name: DataTypes.STRING,
  age: { type: DataTypes.INTEGER, defaultValue: 0 },
  active: { type: DataTypes.BOOLEAN, defaultValue: true },
  balance: DataTypes.DECIMAL(10, 2),
  meta: DataTypes.JSON,
  born: DataTypes.DATEONLY,
  uuid: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4 },
  score: DataTypes.FLOAT,
  big: DataTypes.BIGINT,
  kind: DataTypes.ENUM('a', 'b'),
}, { indexes: [{ fields: ['name', 'age'] }] });
const Post = seq.define('Post', { title: { type: DataTypes.STRING, allowNull: false }, body: DataTypes.TEXT, views: { type: DataTypes.INTEGER, defaultValue: 0 } });
User.hasMany(Post); Post.belongsTo(User);
const show = (n, v) => console.log('OK', n, JSON.stringify(v, (k, x) => typeof x === 'bigint' ? x + 'n' : x).slice(0, 700));
const step = async (n, f) => { try { show(n, await f()); } catch (e) { console.log('FAIL', n, e.name, e.parent ? e.parent.errno + ' ' + e.parent.sqlMessage : e.message, e.sql ? '\n   SQL: ' + e.sql.slice(0, 400) : ''); } };
(async () => {
  await step('authenticate', () => seq.authenticate());
  await step('sync force', () => seq.sync({ force: true }).then(() => 'ok'));
  await step('sync', () => seq.sync().then(() => 'ok'));
  await step('sync alter', () => seq.sync({ alter: true }).then(() => 'ok'));
  await step('sync alter 2', () => seq.sync({ alter: true }).then(() => 'ok'));
  await step('create', async () => (await User.create({ email: 'a@x', name: 'Ann', age: 30, balance: '12.50', meta: { k: [1, 2] }, born: '1990-01-02', score: 1.5, big: '9007199254740993', kind: 'a' })).toJSON());
  await step('bulkCreate', async () => (await User.bulkCreate([{ email: 'b@x', name: 'Bob', age: 20 }, { email: 'c@x', name: 'Cid', age: 40 }])).map(u => u.id));
  await step('post create', async () => (await Post.create({ title: 'hello', UserId: 1 })).toJSON());
  await step('findAll', async () => (await User.findAll({ where: { age: { [Op.gt]: 10 } }, order: [['age', 'DESC']], limit: 2 })).map(u => u.toJSON()));
  await step('findOne', async () => (await User.findOne({ where: { email: 'a@x' } })).toJSON());
  await step('findByPk', async () => (await User.findByPk(1)).toJSON());
  await step('include', async () => (await User.findAll({ include: Post, order: [['id', 'ASC']] })).map(u => u.toJSON()));
  await step('findAndCountAll', async () => { const r = await User.findAndCountAll({ limit: 1, offset: 1, order: [['id','ASC']] }); return [r.count, r.rows.length]; });
  await step('count', () => User.count({ where: { active: true } }));
  await step('sum max', async () => [await User.sum('age'), await User.max('age'), await User.min('born')]);
  await step('update', () => User.update({ name: 'Anne' }, { where: { id: 1 } }));
  await step('increment', async () => (await (await User.findByPk(2)).increment('age', { by: 2 })).age);
  await step('upsert new', () => User.upsert({ email: 'd@x', name: 'Dee', age: 50 }));
  await step('upsert existing', () => User.upsert({ id: 1, email: 'a@x', name: 'Ann2', age: 31 }));
  await step('findOrCreate', async () => { const [u, c] = await User.findOrCreate({ where: { email: 'e@x' }, defaults: { name: 'Eve' } }); return [u.id, c]; });
  await step('tx managed', () => seq.transaction(async (t) => { await User.create({ email: 'f@x' }, { transaction: t }); return User.count({ transaction: t }); }));
  await step('tx rollback', async () => { try { await seq.transaction(async (t) => { await User.create({ email: 'g@x' }, { transaction: t }); throw new Error('x'); }); } catch (e) {} return User.count({ where: { email: 'g@x' } }); });
  await step('tx unmanaged', async () => { const t = await seq.transaction(); await User.update({ age: 99 }, { where: { id: 1 }, transaction: t }); await t.rollback(); return (await User.findByPk(1)).age; });
  await step('unique violation', () => User.create({ email: 'a@x' }));
  await step('destroy', () => User.destroy({ where: { email: 'c@x' } }));
  await step('raw query', () => seq.query('SELECT COUNT(*) AS n FROM Users', { type: Sequelize.QueryTypes.SELECT }));
  await step('describe', () => seq.getQueryInterface().describeTable('Users'));
  await step('showIndex', async () => (await seq.getQueryInterface().showIndex('Users')).map(i => [i.name, i.unique, i.primary, i.fields.map(f => f.attribute)]));
  await step('fks', () => seq.getQueryInterface().getForeignKeyReferencesForTable('Posts'));
  await step('showAllTables', () => seq.getQueryInterface().showAllTables());
  await seq.close();
})();
