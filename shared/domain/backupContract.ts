/**
 * The backup contract between the host agent's shipper (writer) and the backup monitor and
 * failover (readers). Names sort newest first, so the newest backup is the first blob listed
 * under the pair's prefix:
 *
 *   <prefix><inverted-ms>_<yyyymmddThhmmssZ>_<sourceMachine>.bak
 *   e.g. erp/8204683599999_20261122T030000Z_ADT-PRI01.bak
 *
 * inverted-ms = 9999999999999 - takenAt in Unix milliseconds, zero-padded to 13 digits.
 * Metadata (keys lower-case): pair, sourcemachine, takenat (ISO 8601 UTC), sizebytes, sha256
 * (64 hex digits of the whole file), contract ("1").
 */

export const BACKUP_CONTRACT_VERSION = '1';
const MAX_MS = 9_999_999_999_999;
const TAIL = /^(\d{13})_(\d{8}T\d{6}Z)_([A-Za-z0-9-]{1,63})\.bak$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A blob as listed, before the contract is applied to it. */
export interface ListedBlob {
  readonly name: string;
  readonly contentLength: number;
  readonly lastModified: Date;
  /** Blob metadata with lower-case keys. */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface BackupRecord {
  readonly name: string;
  readonly takenAt: Date;
  readonly sourceMachine: string;
  readonly sizeBytes: number;
  readonly sha256?: string;
  /** Contract violations found in the metadata (empty when the backup is sound). */
  readonly problems: readonly string[];
}

export interface BackupDescriptor {
  readonly pairId: string;
  readonly sourceMachine: string;
  readonly takenAt: Date;
  readonly sizeBytes: number;
  readonly sha256: string;
}

export function backupBlobName(prefix: string, takenAt: Date, sourceMachine: string): string {
  const ms = takenAt.getTime();
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_MS) throw new RangeError('takenAt is out of range');
  if (!/^[A-Za-z0-9-]{1,63}$/.test(sourceMachine)) throw new RangeError('sourceMachine must be a host name');
  const inverted = String(MAX_MS - ms).padStart(13, '0');
  return `${prefix}${inverted}_${compactStamp(takenAt)}_${sourceMachine}.bak`;
}

/** Lexicographic lower bound of names for backups taken at or before `at` (for listing from a point in time). */
export function backupNameFloor(prefix: string, at: Date): string {
  return `${prefix}${String(MAX_MS - at.getTime()).padStart(13, '0')}`;
}

export function parseBackupName(prefix: string, name: string): { takenAt: Date; sourceMachine: string } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const match = TAIL.exec(name.slice(prefix.length));
  if (!match) return undefined;
  const takenAt = new Date(MAX_MS - Number(match[1]));
  // The readable stamp must agree with the sortable part, or the name was not made by the contract.
  if (compactStamp(takenAt) !== match[2]) return undefined;
  return { takenAt, sourceMachine: match[3]! };
}

export function backupMetadata(d: BackupDescriptor): Record<string, string> {
  return {
    pair: d.pairId,
    sourcemachine: d.sourceMachine,
    takenat: d.takenAt.toISOString(),
    sizebytes: String(d.sizeBytes),
    sha256: d.sha256,
    contract: BACKUP_CONTRACT_VERSION,
  };
}

/** Applies the contract to a listed blob: undefined for a foreign name, else the record and its problems. */
export function readBackupRecord(prefix: string, pairId: string, blob: ListedBlob): BackupRecord | undefined {
  const parsed = parseBackupName(prefix, blob.name);
  if (!parsed) return undefined;
  const m = blob.metadata;
  const problems: string[] = [];
  const sha256 = m['sha256']?.toLowerCase();
  if (sha256 === undefined) problems.push('metadata sha256 is missing');
  else if (!SHA256_HEX.test(sha256)) problems.push('metadata sha256 is not 64 hex digits');
  const takenAtMeta = m['takenat'];
  if (takenAtMeta === undefined) problems.push('metadata takenat is missing');
  else if (Number.isNaN(Date.parse(takenAtMeta))) problems.push('metadata takenat is not a date');
  else if (Math.abs(Date.parse(takenAtMeta) - parsed.takenAt.getTime()) >= 1000) problems.push('metadata takenat disagrees with the name');
  if (m['pair'] !== undefined && m['pair'] !== pairId) problems.push(`metadata pair is "${m['pair']}", expected "${pairId}"`);
  if (blob.contentLength <= 0) problems.push('the backup is empty (0 bytes)');
  const declared = m['sizebytes'];
  if (declared !== undefined && Number(declared) !== blob.contentLength) {
    problems.push(`size ${blob.contentLength} bytes differs from metadata sizebytes ${declared}`);
  }
  return {
    name: blob.name,
    takenAt: parsed.takenAt,
    sourceMachine: parsed.sourceMachine,
    sizeBytes: blob.contentLength,
    ...(sha256 !== undefined && SHA256_HEX.test(sha256) ? { sha256 } : {}),
    problems,
  };
}

function compactStamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}
