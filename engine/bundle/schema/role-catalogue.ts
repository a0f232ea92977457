/**
 * The permission vocabulary of roles (docs/permissions.md): record actions, admin subjects and their
 * actions, record scopes, form access. One line of meaning each; the docs list exactly these, and a
 * spec keeps them in step. Actions are stable identifiers: never renamed or reused (add new ones).
 */

/** What supervisors approve: GBV (`action_plan`, `gbv_closure`) and CP (`assessment`, `case_plan`, `closure`). */
const APPROVALS = {
  action_plan: 'a GBV case action plan',
  gbv_closure: 'the closure of a GBV case',
  assessment: 'a CP case assessment',
  case_plan: 'a CP case plan',
  closure: 'the closure of a CP case',
} as const;
export type ApprovalType = keyof typeof APPROVALS;
export const APPROVAL_TYPES = Object.keys(APPROVALS) as ApprovalType[];

const approvalActions = Object.fromEntries(
  Object.entries(APPROVALS).flatMap(([type, what]) => [
    [`request_approval_${type}`, `ask a supervisor to approve ${what}`],
    [`approve_${type}`, `approve or reject ${what} (once requested)`],
  ]),
) as Record<`request_approval_${ApprovalType}` | `approve_${ApprovalType}`, string>;

/** Actions on records (any module's record types), each with what it allows. */
export const RECORD_ACTIONS = {
  read: 'open and list records (only their readable fields)',
  create: 'create records (writing only writable fields)',
  update: 'change records (writing only writable fields)',
  disable: 'disable and re-enable records (a disabled record is hidden from lists, never deleted)',
  flag: 'add flags to records and resolve one\'s own flags',
  assign: 'reassign records to another user within the scope (e.g. within one\'s group)',
  refer: 'refer records to another user or service (the record stays with its owner)',
  receive_referral: 'be chosen as the recipient of a referral',
  transfer: 'transfer records to another user (ownership moves once accepted)',
  receive_transfer: 'be chosen as the recipient of a transfer, and accept or reject it',
  request_transfer: 'ask the owner of a record to transfer it to oneself',
  consent_override: 'refer or transfer without the recorded consent (mandatory reporting, imminent danger)',
  export: 'export records (the export holds only readable fields)',
  incident_from_case: 'create an incident from a case (the module\'s `case_to_incident` field map)',
  reopen: 'reopen a closed record',
  close: 'close a record',
  view_history: 'see a record\'s change history (limited to readable fields)',
  ...approvalActions,
} as const;
export type RecordAction = keyof typeof RECORD_ACTIONS;

/** Administrative subjects and their actions. */
export const ADMIN_ACTIONS = {
  user: {
    read: 'list and view user accounts',
    create: 'create user accounts',
    update: 'edit user accounts (roles, groups, agency)',
    disable: 'disable and re-enable user accounts',
    reset_password: 'reset a user\'s password',
  },
  agency: { read: 'list and view agencies', create: 'create agencies', update: 'edit agencies', disable: 'disable and re-enable agencies' },
  user_group: {
    read: 'list and view user groups',
    create: 'create user groups',
    update: 'edit user groups and their members',
    disable: 'disable and re-enable user groups',
  },
  role: { read: 'list roles and what they allow' },
  lookup: { read: 'view lookups', localize: 'adapt localizable lookups through overlays (no approval needed)' },
  location: { read: 'view the location hierarchy', import: 'import a location hierarchy', export: 'export the location hierarchy' },
  bundle: {
    read: 'view configuration bundles and the diff between versions',
    import: 'import a bundle as a draft',
    submit: 'submit a draft bundle for approval',
    approve: 'approve a submitted bundle (steering committee)',
    reject: 'reject a submitted bundle (steering committee)',
    activate: 'activate an approved bundle',
    rollback: 'return to a previously active bundle',
  },
  audit: { read: 'read the audit log' },
  report: { read: 'usage reports (accounts, logins, record counts per agency); never record content' },
  export: { create: 'export administrative data (users, audit log, usage)', read: 'list and download export files made by others in scope' },
  system: { read: 'view system settings', update: 'change system settings' },
} as const satisfies Record<string, Record<string, string>>;

export type AdminSubject = keyof typeof ADMIN_ACTIONS;
export const ADMIN_SUBJECTS = Object.keys(ADMIN_ACTIONS) as AdminSubject[];

/** Admin subjects whose objects belong to an agency, so that `scope: "agency"` means something. */
export const AGENCY_SCOPED_SUBJECTS: ReadonlySet<AdminSubject> = new Set<AdminSubject>(['user', 'agency', 'user_group', 'audit', 'report', 'export']);

/** Which records a grant reaches (see docs/permissions.md, "Scopes"). */
export const RECORD_SCOPES = {
  shared: 'only records shared with the user (referrals, transfers, assignments)',
  own: 'records the user owns, plus those shared with them',
  group: 'records owned by a member of one of the user\'s groups, plus own',
  agency: 'records owned within the user\'s agency, plus own',
  all: 'every record of the record type',
} as const;
export type RecordScope = keyof typeof RECORD_SCOPES;

export const ADMIN_SCOPES = ['agency', 'all'] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

export const FORM_ACCESS = ['none', 'read', 'read_write'] as const;
export type FormAccessLevel = (typeof FORM_ACCESS)[number];

/** Named field sets an `excludeFields` entry may use. */
export const FIELD_SETS = {
  '@identifying': 'every field marked `identifying: true` in the record type (subform children included)',
} as const;
export type FieldSet = keyof typeof FIELD_SETS;

export function isRecordAction(action: string): action is RecordAction {
  return Object.prototype.hasOwnProperty.call(RECORD_ACTIONS, action);
}

export function isAdminAction(subject: AdminSubject, action: string): boolean {
  return Object.prototype.hasOwnProperty.call(ADMIN_ACTIONS[subject], action);
}
