/** Backup and restore of Haven's database: one archive file, verified before anything is written. See docs/backup.md. */
export { BackupError, openArchive, verifyPayloadDigest, type Manifest, type OpenedArchive, type PayloadKind } from './archive.js';
export { defaultBackupFile, writeBackup, type BackupFormat, type BackupOptions, type BackupSummary } from './write-backup.js';
export { restoreBackup, type RestoreSummary } from './restore-backup.js';
