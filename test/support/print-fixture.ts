import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { login, newGroup, newUser, type TestUser } from './factories.js';
import { newRecord, type TestRecord } from './record-factories.js';
import type { TestApp } from './test-app.js';

/** Text of the case's action plan and safety concern: easy to look for in a printout. */
export const PLAN = 'Counselling-weekly-8841';
export const CONCERN = 'SAFETY-CONCERN-5512';

export interface PrintCase {
  owner: TestUser;
  /** Supervisor of the owner's group (reads no identifying field). */
  supervisor: TestUser;
  /** A referral partner of another agency with an accepted referral sharing only the survivor information form. */
  partner: TestUser;
  /** A caseworker of a third agency. */
  outsider: TestUser;
  record: TestRecord;
  referralId: string;
  /** Bearer tokens by username. */
  tokens: Record<string, string>;
}

/** A GBV case to print, the four readers of the printing tests, and the partner's accepted referral. */
export async function newPrintCase(t: TestApp, ds: DataSource, name: string): Promise<PrintCase> {
  const group = await newGroup(ds);
  const owner = await newUser(ds, { roles: ['gbv_caseworker'], agency: 'AG-P', groups: [group.code] });
  const supervisor = await newUser(ds, { roles: ['gbv_supervisor'], agency: 'AG-P', groups: [group.code] });
  const partner = await newUser(ds, { roles: ['gbv_referral_partner'], agency: 'AG-HEALTH' });
  const outsider = await newUser(ds, { roles: ['gbv_caseworker'], agency: 'AG-OTHER' });
  const record = await newRecord(ds, {
    module: 'gbv',
    recordType: 'case',
    owner,
    sharedWith: [partner],
    data: {
      consent_for_services: true,
      name,
      age: 27,
      sex: 'female',
      occupation: 'Teacher',
      action_plan_section: [{ _id: randomUUID(), action_plan_description: PLAN, service_type: 'psychosocial_service' }],
      safety_plan_needed: true,
      safety_plan_main_concern: CONCERN,
    },
  });
  const [row] = await ds.query(
    `INSERT INTO record_transition (kind, record_id, status, from_user, from_agency, to_user, to_agency, service, shared_forms)
     VALUES ('referral', $1, 'accepted', $2, 'AG-P', $3, 'AG-HEALTH', 'health_medical_service', ARRAY['gbv_survivor_information']) RETURNING id`,
    [record.id, owner.id, partner.id],
  );
  const tokens: Record<string, string> = {};
  for (const user of [owner, supervisor, partner, outsider]) tokens[user.username] = await login(t, user.username, user.password);
  return { owner, supervisor, partner, outsider, record, referralId: row.id as string, tokens };
}
