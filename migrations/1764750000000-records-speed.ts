import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Change notices for what a signed-in request is checked against, so that the server may keep users' facts
 * (roles, agency, groups, disabled flags) in memory instead of reading them on every request
 * (modules/auth/user-facts.cache.ts). Any change to a user, their group memberships, a group or an agency sends
 * a NOTIFY on `haven_user_facts` at commit, whichever code (or person, or restore) makes it:
 *
 *   user:<id>   a user row or one user's group memberships changed;
 *   all         an agency or a group changed (every cached user may be affected), or a table was truncated.
 */
const CHANNEL = 'haven_user_facts';

export class RecordsSpeed1764750000000 implements MigrationInterface {
  name = 'RecordsSpeed1764750000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION user_facts_notify_user() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'app_user' THEN
          PERFORM pg_notify('${CHANNEL}', 'user:' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)::text);
        ELSE
          PERFORM pg_notify('${CHANNEL}', 'user:' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END)::text);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION user_facts_notify_all() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${CHANNEL}', 'all');
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER app_user_facts_changed AFTER UPDATE OR DELETE ON app_user FOR EACH ROW EXECUTE FUNCTION user_facts_notify_user()`);
    await q.query(`CREATE TRIGGER app_user_group_facts_changed AFTER INSERT OR UPDATE OR DELETE ON app_user_group FOR EACH ROW EXECUTE FUNCTION user_facts_notify_user()`);
    for (const table of ['agency', 'user_group']) {
      await q.query(`CREATE TRIGGER ${table}_facts_changed AFTER UPDATE OR DELETE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION user_facts_notify_all()`);
    }
    for (const table of ['app_user', 'app_user_group', 'agency', 'user_group']) {
      await q.query(`CREATE TRIGGER ${table}_facts_truncated AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION user_facts_notify_all()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['app_user', 'app_user_group', 'agency', 'user_group']) await q.query(`DROP TRIGGER IF EXISTS ${table}_facts_truncated ON ${table}`);
    for (const table of ['agency', 'user_group']) await q.query(`DROP TRIGGER IF EXISTS ${table}_facts_changed ON ${table}`);
    await q.query(`DROP TRIGGER IF EXISTS app_user_group_facts_changed ON app_user_group`);
    await q.query(`DROP TRIGGER IF EXISTS app_user_facts_changed ON app_user`);
    await q.query(`DROP FUNCTION IF EXISTS user_facts_notify_all()`);
    await q.query(`DROP FUNCTION IF EXISTS user_facts_notify_user()`);
  }
}
