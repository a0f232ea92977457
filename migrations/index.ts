import { Foundation1764100000000 } from './1764100000000-foundation.js';

/** Every migration, oldest first. Migrations are append-only: add a new file, never edit a shipped one. */
export const migrations = [Foundation1764100000000];
