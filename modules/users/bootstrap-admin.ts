import type { DataSource } from 'typeorm';
import { logger } from '../common/logger.js';
import { generatePassword, hashPassword } from './passwords.js';

/**
 * On the very first start (no users at all) creates the system administrator named by HAVEN_ADMIN_USER.
 * Without HAVEN_ADMIN_PASSWORD a random password is generated, printed once on standard output, and must be
 * changed at first login. Later starts change nothing.
 */
export async function ensureBootstrapAdmin(ds: DataSource, username: string, password: string | undefined, print: (line: string) => void): Promise<boolean> {
  return ds.transaction(async (tx) => {
    // Serialise concurrent first starts of several instances.
    await tx.query('LOCK TABLE app_user IN SHARE ROW EXCLUSIVE MODE');
    const [{ count }] = await tx.query(`SELECT count(*)::int AS count FROM app_user`);
    if (count > 0) return false;
    const generated = password === undefined;
    const secret = password ?? generatePassword();
    await tx.query(
      `INSERT INTO app_user (username, password_hash, full_name, roles, must_change_password) VALUES ($1, $2, $3, $4, $5)`,
      [username, await hashPassword(secret), 'System administrator', ['system_admin'], generated],
    );
    await tx.query(`INSERT INTO audit_log (actor, action, object_type, object_id, details) VALUES ('system', 'user.bootstrap', 'user', $1, $2)`, [
      username,
      { generatedPassword: generated },
    ]);
    logger.info({ username }, 'created the bootstrap system administrator');
    if (generated) {
      print(`Haven created the system administrator "${username}" with the password: ${secret}`);
      print('This password is shown once. It must be changed at first login.');
    }
    return true;
  });
}
