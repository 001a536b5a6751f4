import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WatchdogError } from '../../shared/domain/errors';
import type { HistoryStore, InstanceRecord } from './historyStore';

/** Where `npm start` keeps orchestration history unless told otherwise (relative to the project). */
export const DEFAULT_HISTORY_DIRECTORY = join('.local', 'durable');

const RECORD_SUFFIX = '.json';
const TEMP_SUFFIX = '.tmp';
/** Windows refuses a rename over a file another process (an indexer, a virus scanner) holds open for a moment. */
const RENAME_RETRIES = 5;
const RENAME_RETRY_MS = 20;

export class HistoryFileUnreadableError extends WatchdogError {
  constructor(readonly file: string, options?: { cause?: unknown }) {
    super('DURABLE_HISTORY_UNREADABLE', `The orchestration history file '${file}' is not a readable instance record`, { file }, options);
  }
}

export interface FileHistoryStoreOptions {
  /** Told about a record file that does not parse; `list()` skips it instead of failing every instance. */
  readonly onUnreadable?: (file: string, error: unknown) => void;
}

/**
 * Orchestration history on disk, one JSON file per instance, so a stopped local host resumes its
 * instances when it starts again. Each write goes to a temp file that is then renamed over the
 * record: a process killed mid-write leaves the previous record whole plus a stray temp file,
 * which readers never look at and `open` removes. There is no fsync: a power cut may lose the
 * last writes (acceptable for a development host, where the Functions host's own store is absent).
 */
export class FileHistoryStore implements HistoryStore {
  private sequence = 0;

  private constructor(
    readonly directory: string,
    private readonly options: FileHistoryStoreOptions,
  ) {}

  /** Creates the directory if needed and clears temp files a crashed writer left behind (no writer may be running). */
  static async open(directory: string, options: FileHistoryStoreOptions = {}): Promise<FileHistoryStore> {
    await mkdir(directory, { recursive: true });
    const leftovers = (await readdir(directory)).filter((name) => name.endsWith(TEMP_SUFFIX));
    await Promise.all(leftovers.map((name) => rm(join(directory, name), { force: true })));
    return new FileHistoryStore(directory, options);
  }

  async read(instanceId: string): Promise<InstanceRecord | undefined> {
    const file = this.fileOf(instanceId);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return parseRecord(file, text);
  }

  async write(record: InstanceRecord): Promise<void> {
    const file = this.fileOf(record.instanceId);
    const temp = `${file}.${process.pid}-${++this.sequence}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
    await writeFile(temp, JSON.stringify(record), 'utf8');
    try {
      await renameOver(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async list(): Promise<readonly InstanceRecord[]> {
    const names = (await readdir(this.directory)).filter((name) => name.endsWith(RECORD_SUFFIX));
    const records = await Promise.all(
      names.map(async (name) => {
        const file = join(this.directory, name);
        try {
          return parseRecord(file, await readFile(file, 'utf8'));
        } catch (error) {
          // Gone between readdir and readFile: it was not an instance of this listing.
          if (!isMissing(error)) this.options.onUnreadable?.(file, error);
          return undefined;
        }
      }),
    );
    return records.filter((r): r is InstanceRecord => r !== undefined);
  }

  /** The instance id, percent-encoded to a name every file system accepts (ids hold `:` for sub-orchestrations). */
  private fileOf(instanceId: string): string {
    return join(this.directory, `${fileNameOf(instanceId)}${RECORD_SUFFIX}`);
  }
}

export function fileNameOf(instanceId: string): string {
  return [...Buffer.from(instanceId, 'utf8')].map((byte) => (isPlain(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0')}`)).join('');
}

/**
 * Digits, lower-case letters, `-` and `_`. Capitals are encoded so that ids differing in case stay
 * two files on Windows and macOS; a dot is encoded so no id can name `.` or `..` or end in `.tmp`.
 */
function isPlain(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d || byte === 0x5f;
}

function parseRecord(file: string, text: string): InstanceRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HistoryFileUnreadableError(file, { cause: error });
  }
  const record = parsed as Partial<InstanceRecord> | null;
  if (typeof record !== 'object' || record === null || typeof record.instanceId !== 'string' || !Array.isArray(record.history) || !Array.isArray(record.inbox)) {
    throw new HistoryFileUnreadableError(file);
  }
  return record as InstanceRecord;
}

async function renameOver(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (attempt >= RENAME_RETRIES || (code !== 'EPERM' && code !== 'EACCES' && code !== 'EBUSY')) throw error;
      await new Promise((resolve) => setTimeout(resolve, RENAME_RETRY_MS * attempt));
    }
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
