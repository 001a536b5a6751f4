import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * What a lab backup (.bak) holds: a header line, the simulated database's state as JSON, and
 * filler so it has a realistic, constant size (filler differs every time, as real backups do).
 * Only the lab reads it back: restoring it brings the lock row back as it was at backup time,
 * which is what restoring the Primary's adTempus database over the Secondary's does.
 */
const MAGIC = 'ADTEMPUS-LAB-BACKUP 1';
export const LAB_BACKUP_BYTES = 64 * 1024;

const contentSchema = z
  .object({
    database: z.string().min(1),
    instanceName: z.string().min(1),
    /** The machine that held the lock when the backup was taken, and its last heartbeat. */
    owner: z.string().nullable(),
    heartbeatUtc: z.string().nullable(),
    takenAt: z.string(),
    /** The host whose service had the backup taken. */
    host: z.string(),
  })
  .strict();

export type LabBackupContent = z.infer<typeof contentSchema>;

export function encodeLabBackup(content: LabBackupContent, sizeBytes = LAB_BACKUP_BYTES): Buffer {
  const head = Buffer.from(`${MAGIC}\n${JSON.stringify(content)}\n`, 'utf8');
  return Buffer.concat([head, randomBytes(Math.max(0, sizeBytes - head.length))]);
}

/** The content, or a message saying why this is not a lab backup (a file named .bak may be anything). */
export function decodeLabBackup(file: Buffer): LabBackupContent | string {
  const lines = file.subarray(0, 4096).toString('utf8').split('\n');
  if (lines[0] !== MAGIC) return 'not an adTempus lab backup (unknown header)';
  try {
    const parsed = contentSchema.safeParse(JSON.parse(lines[1] ?? ''));
    return parsed.success ? parsed.data : 'the backup header does not describe an adTempus database';
  } catch {
    return 'the backup header is damaged';
  }
}
