exports.up = async function (knex) {
  await knex.schema.createTable('users', (t) => {
    t.increments('id');
    t.string('email', 191).notNullable().unique();
    t.string('name');
    t.integer('age').unsigned();
    t.boolean('active').defaultTo(true);
    t.decimal('balance', 12, 2).defaultTo(0);
    t.json('prefs');
    t.text('bio');
    t.timestamps(true, true);
    t.index(['name', 'age'], 'users_name_age');
  });
  await knex.schema.createTable('posts', (t) => {
    t.increments('id');
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('title').notNullable();
    t.bigInteger('views').defaultTo(0);
    t.enu('state', ['draft', 'published']).defaultTo('draft');
    t.datetime('published_at', { precision: 3 }).nullable();
    t.timestamps(true, true);
    t.unique(['user_id', 'title']);
    t.index('state');
  });
  await knex.schema.alterTable('users', (t) => { t.string('nickname', 40).after('name'); });
};
exports.down = async function (knex) {
  await knex.schema.dropTable('posts');
  await knex.schema.dropTable('users');
};
