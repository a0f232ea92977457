import { Foundation1764100000000 } from './1764100000000-foundation.js';
import { ConfigBundles1764200000000 } from './1764200000000-config-bundles.js';
import { Identity1764300000000 } from './1764300000000-identity.js';
import { Records1764400000000 } from './1764400000000-records.js';
import { Attachments1764500000000 } from './1764500000000-attachments.js';
import { Governance1764600000000 } from './1764600000000-governance.js';
import { Workflow1764700000000 } from './1764700000000-workflow.js';
import { RecordsSpeed1764750000000 } from './1764750000000-records-speed.js';
import { Exports1764800000000 } from './1764800000000-exports.js';
import { ReferralLinks1764810000000 } from './1764810000000-referral-links.js';
import { ListScope1764900000000 } from './1764900000000-list-scope.js';
import { Lz4Toast1765000000000 } from './1765000000000-lz4-toast.js';
import { TotpLastStep1765100000000 } from './1765100000000-totp-last-step.js';

/** Every migration, oldest first. Migrations are append-only: add a new file, never edit a shipped one. */
export const migrations = [Foundation1764100000000, ConfigBundles1764200000000, Identity1764300000000, Records1764400000000, Attachments1764500000000, Governance1764600000000, Workflow1764700000000, RecordsSpeed1764750000000, Exports1764800000000, ReferralLinks1764810000000, ListScope1764900000000, Lz4Toast1765000000000, TotpLastStep1765100000000];
