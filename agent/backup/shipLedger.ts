import { readFile } from 'node:fs/promises';
import { silentLogger, type Logger } from '../../shared/ports/logger.port';
import { writeFileAtomic } from '../core/atomicFile';

/** One backup file the shipper has put into Blob storage, as the ledger remembers it. */
export interface ShippedFile {
  /** Absolute path of the file when it was shipped. */
  readonly path: string;
  readonly sizeBytes: number;
  /** The file's mtime (ms, as fs.stat reports it, fractions included): with size, what identifies this version of the file. */
  readonly mtimeMs: number;
  readonly blobName: string;
  readonly sha256: string;
  /** ISO 8601 UTC. */
  readonly shippedAt: string;
}

interface LedgerFile {
  readonly version: 1;
  readonly shipped: readonly ShippedFile[];
}

/**
 * The shipper's memory of what it shipped, so a restart neither uploads a backup again nor
 * overlooks one. A small JSON file, one entry per path (the newest version shipped: adTempus may
 * overwrite the same file name every day), replaced atomically (writeFileAtomic), so a crash
 * leaves either the old or the new ledger, never half of one.
 *
 * The ledger is an optimisation, not the source of truth: a missing or unreadable ledger only
 * costs a look at Blob storage per file, because the shipper never uploads a backup whose blob
 * already exists (see BackupShipper).
 */
export class ShipLedger {
  private constructor(
    private readonly file: string,
    private readonly entries: Map<string, ShippedFile>,
  ) {}

  /** A missing ledger is an empty one; a corrupt one is logged and treated as empty. */
  static async load(file: string, logger: Logger = silentLogger): Promise<ShipLedger> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new ShipLedger(file, new Map());
      throw error;
    }
    const entries = new Map<string, ShippedFile>();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      logger.warn('The backup ledger is not valid JSON: starting afresh; Blob storage is checked before any upload', { ledger: file });
      return new ShipLedger(file, entries);
    }
    const shipped = (parsed as Partial<LedgerFile> | null)?.shipped;
    for (const entry of Array.isArray(shipped) ? (shipped as unknown[]) : []) {
      if (isShippedFile(entry)) entries.set(entry.path, entry);
      else logger.warn('Ignoring a malformed backup ledger entry', { ledger: file });
    }
    return new ShipLedger(file, entries);
  }

  /** The entry for exactly this version of the file (path, size and mtime all equal), if shipped. */
  find(path: string, sizeBytes: number, mtimeMs: number): ShippedFile | undefined {
    const entry = this.entries.get(path);
    return entry !== undefined && entry.sizeBytes === sizeBytes && entry.mtimeMs === mtimeMs ? entry : undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Remembers the entry (in memory at once, so this process never ships it again) and saves. */
  async record(entry: ShippedFile): Promise<void> {
    this.entries.set(entry.path, entry);
    await this.save();
  }

  /** Forgets files that are gone from the folder, so the ledger does not grow with every backup ever taken. */
  async retainOnly(paths: ReadonlySet<string>): Promise<void> {
    let changed = false;
    for (const path of [...this.entries.keys()]) {
      if (!paths.has(path)) changed = this.entries.delete(path) || changed;
    }
    if (changed) await this.save();
  }

  private async save(): Promise<void> {
    const body: LedgerFile = { version: 1, shipped: [...this.entries.values()] };
    await writeFileAtomic(this.file, JSON.stringify(body, null, 1));
  }
}

function isShippedFile(value: unknown): value is ShippedFile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['path'] === 'string' &&
    typeof v['sizeBytes'] === 'number' &&
    typeof v['mtimeMs'] === 'number' &&
    typeof v['blobName'] === 'string' &&
    typeof v['sha256'] === 'string' &&
    typeof v['shippedAt'] === 'string'
  );
}
