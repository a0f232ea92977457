import type pg from 'pg';
import { Random } from './random.js';

/**
 * The demo organisation: agencies, their teams (user groups) and staff. Each team runs one programme (GBV or
 * CP; both when an agency has a single team): one supervisor and caseworkers. Every name and code starts with
 * `demo` / `DEMO` so that nobody mistakes demo accounts for real ones, and they all share one printed password.
 */

export type Programme = 'gbv' | 'cp' | 'both';

export interface PeopleOptions {
  readonly agencies: number;
  readonly groupsPerAgency: number;
  readonly usersPerGroup: number;
  /** Programmes the teams run (GBV and CP in turn when both). */
  readonly programmes: ReadonlySet<'gbv' | 'cp'>;
}

export interface SeedUser {
  id: string;
  readonly username: string;
  readonly fullName: string;
  readonly agencyCode: string;
  readonly groupCodes: readonly string[];
  readonly roles: readonly string[];
  readonly programme: Programme;
  readonly supervisor: boolean;
}

export interface SeedGroup {
  readonly code: string;
  readonly name: string;
  readonly agencyCode: string;
  readonly programme: Programme;
}

export interface PeoplePlan {
  readonly agencies: readonly { readonly code: string; readonly name: string }[];
  readonly groups: readonly SeedGroup[];
  readonly users: readonly SeedUser[];
}

const ROLES: Record<'gbv' | 'cp', { supervisor: string; caseworker: string }> = {
  gbv: { supervisor: 'gbv_supervisor', caseworker: 'gbv_caseworker' },
  cp: { supervisor: 'cp_supervisor', caseworker: 'cp_caseworker' },
};

function programmeOf(groupIndex: number, groupsPerAgency: number, programmes: ReadonlySet<'gbv' | 'cp'>): Programme {
  if (programmes.size < 2) return programmes.has('cp') ? 'cp' : 'gbv';
  if (groupsPerAgency === 1) return 'both';
  return groupIndex % 2 === 0 ? 'gbv' : 'cp';
}

function rolesOf(programme: Programme, supervisor: boolean): string[] {
  const which = programme === 'both' ? (['gbv', 'cp'] as const) : ([programme] as const);
  return which.map((p) => (supervisor ? ROLES[p].supervisor : ROLES[p].caseworker));
}

export function planPeople(options: PeopleOptions): PeoplePlan {
  const agencies: { code: string; name: string }[] = [];
  const groups: SeedGroup[] = [];
  const users: SeedUser[] = [];
  const perProgramme = new Map<string, number>();
  for (let a = 1; a <= options.agencies; a++) {
    const agencyCode = `DEMO-AG${a}`;
    agencies.push({ code: agencyCode, name: `Demo agency ${a}` });
    perProgramme.clear();
    for (let g = 0; g < options.groupsPerAgency; g++) {
      const programme = programmeOf(g, options.groupsPerAgency, options.programmes);
      const n = (perProgramme.get(programme) ?? 0) + 1;
      perProgramme.set(programme, n);
      const label = programme === 'both' ? 'team' : programme;
      const code = `demo-ag${a}-${label}${n}`;
      const teamName = `${programme === 'both' ? 'GBV and CP' : programme.toUpperCase()} team ${n}`;
      groups.push({ code, name: `Demo agency ${a}, ${teamName}`, agencyCode, programme });
      for (let u = 0; u < options.usersPerGroup; u++) {
        const supervisor = u === 0 && options.usersPerGroup > 1;
        const username = supervisor ? `demo.ag${a}.${label}${n}.sup` : `demo.ag${a}.${label}${n}.cw${options.usersPerGroup > 1 ? u : 1}`;
        users.push({
          id: '',
          username,
          fullName: `${supervisor ? 'Demo supervisor' : `Demo caseworker ${options.usersPerGroup > 1 ? u : 1}`}, agency ${a} ${teamName} (demo)`,
          agencyCode,
          groupCodes: [code],
          roles: rolesOf(programme, supervisor),
          programme,
          supervisor,
        });
      }
    }
  }
  return { agencies, groups, users };
}

/**
 * Creates what is missing (agencies, groups, users by code / username, case-insensitively) and fills in the
 * users' ids. Existing demo accounts are reused as they are (an `--append` run keeps their passwords).
 */
export async function ensurePeople(client: pg.Client, plan: PeoplePlan, passwordHash: string, seed: number): Promise<{ createdUsers: number }> {
  await client.query('BEGIN');
  try {
    for (const agency of plan.agencies) {
      await client.query(`INSERT INTO agency (code, name) VALUES ($1, $2) ON CONFLICT ((lower(code))) DO NOTHING`, [agency.code, agency.name]);
    }
    for (const group of plan.groups) {
      await client.query(
        `INSERT INTO user_group (code, name, agency_id) VALUES ($1, $2, (SELECT id FROM agency WHERE lower(code) = lower($3)))
         ON CONFLICT ((lower(code))) DO NOTHING`,
        [group.code, group.name, group.agencyCode],
      );
    }
    let createdUsers = 0;
    for (const user of plan.users) {
      // Ids drawn from the seed and the username: the same seed gives the same owner ids, hence the same records.
      const inserted = await client.query(
        `INSERT INTO app_user (id, username, password_hash, full_name, code, roles, agency_id, must_change_password)
         VALUES ($1, $2, $3, $4, 'demo', $5, (SELECT id FROM agency WHERE lower(code) = lower($6)), false)
         ON CONFLICT DO NOTHING RETURNING id`,
        [Random.for(seed, 'user', user.username).uuid(), user.username, passwordHash, user.fullName, user.roles, user.agencyCode],
      );
      createdUsers += inserted.rowCount ?? 0;
      const { rows } = await client.query<{ id: string }>(`SELECT id FROM app_user WHERE lower(username) = lower($1)`, [user.username]);
      user.id = rows[0]!.id;
      await client.query(
        `INSERT INTO app_user_group (user_id, group_id) SELECT $1, id FROM user_group WHERE lower(code) = ANY($2::text[]) ON CONFLICT DO NOTHING`,
        [user.id, user.groupCodes.map((c) => c.toLowerCase())],
      );
    }
    await client.query('COMMIT');
    return { createdUsers };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Caseworkers who own records of a module (`gbv` or `cp`). */
export function ownersFor(plan: Pick<PeoplePlan, 'users'>, module: string): SeedUser[] {
  return plan.users.filter((u) => !u.supervisor && (u.programme === module || u.programme === 'both'));
}
