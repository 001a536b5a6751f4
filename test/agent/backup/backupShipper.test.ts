import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { BackupShipper, type BackupShipperOptions, type ShipReport } from '../../../agent/backup/backupShipper';
import { createBlobServiceClient } from '../../../shared/adapters/blob/blobServiceClient';
import { backupBlobName, backupMetadata, readBackupRecord } from '../../../shared/domain/backupContract';
import type { Logger } from '../../../shared/ports/logger.port';
import { testStorage, type TestStorage } from '../../support/azurite';

const PAIR = 'payroll';
const PREFIX = 'payroll/';
const HOST = 'ADT-PAY-PRI';
const SETTLE_MS = 1_000;
const TAKEN_AT = new Date('2026-11-22T03:00:00.123Z');

interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
}

let storage: TestStorage;
let service: BlobServiceClient;
let container: ContainerClient;
let folder: string;
let agentData: string;
let now: number;
let logs: LogLine[];

const logger: Logger = {
  info: (message, fields) => logs.push({ level: 'info', message, fields }),
  warn: (message, fields) => logs.push({ level: 'warn', message, fields }),
  error: (message, fields) => logs.push({ level: 'error', message, fields }),
};

beforeAll(async () => {
  storage = await testStorage();
  service = createBlobServiceClient({ kind: 'connectionString', connectionString: storage.connectionString });
});

afterAll(async () => {
  await storage.release();
});

beforeEach(async () => {
  container = service.getContainerClient(`backups-${randomUUID()}`);
  folder = await mkdtemp(join(tmpdir(), 'shipper-backups-'));
  agentData = await mkdtemp(join(tmpdir(), 'shipper-agent-'));
  now = 0;
  logs = [];
});

afterEach(async () => {
  await container.deleteIfExists();
  await rm(folder, { recursive: true, force: true });
  await rm(agentData, { recursive: true, force: true });
});

function shipper(overrides: Partial<BackupShipperOptions> = {}): BackupShipper {
  return new BackupShipper({
    folder,
    pattern: '*.bak',
    ledgerFile: join(agentData, 'shipped.json'),
    container,
    pairId: PAIR,
    prefix: PREFIX,
    sourceMachine: HOST,
    settleMs: SETTLE_MS,
    // Small blocks, so a test file of a few hundred KiB goes through several parallel stages.
    blockSizeBytes: 64 * 1024,
    uploadConcurrency: 3,
    logger,
    clock: () => now,
    ...overrides,
  });
}

async function writeBackup(name: string, body: Buffer, takenAt = TAKEN_AT): Promise<string> {
  const file = join(folder, name);
  await writeFile(file, body);
  await utimes(file, takenAt, takenAt);
  return file;
}

/** Two scans a settle period apart: what a new, complete file needs to be shipped. */
async function scanUntilSettled(s: BackupShipper): Promise<ShipReport> {
  await s.shipNow();
  now += SETTLE_MS;
  return s.shipNow();
}

const sha256 = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

async function blobNames(): Promise<string[]> {
  const names: string[] = [];
  if (!(await container.exists())) return names;
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names;
}

describe('BackupShipper', () => {
  it('ships a new backup once it has settled, named and described by the backup contract', async () => {
    const body = randomBytes(300 * 1024 + 17);
    const file = await writeBackup('adTempus_Payroll.bak', body);
    const s = shipper();

    const first = await s.shipNow();
    expect(first.pending).toEqual([{ file, reason: 'settling' }]);
    expect(await blobNames()).toEqual([]);

    now += SETTLE_MS;
    const second = await s.shipNow();

    const blobName = backupBlobName(PREFIX, TAKEN_AT, HOST);
    expect(second.shipped).toEqual([{ file, blobName, sizeBytes: body.length, sha256: sha256(body), takenAt: TAKEN_AT.toISOString() }]);
    const blob = container.getBlockBlobClient(blobName);
    const properties = await blob.getProperties();
    expect(properties.metadata).toEqual(backupMetadata({ pairId: PAIR, sourceMachine: HOST, takenAt: TAKEN_AT, sizeBytes: body.length, sha256: sha256(body) }));
    expect(sha256(await blob.downloadToBuffer())).toBe(sha256(body));
    const record = readBackupRecord(PREFIX, PAIR, { name: blobName, contentLength: properties.contentLength!, lastModified: properties.lastModified!, metadata: properties.metadata! });
    expect(record?.problems).toEqual([]);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'info', message: 'Backup shipped' }));
  });

  it('ships a backup only once, however often it scans', async () => {
    const file = await writeBackup('daily.bak', randomBytes(1000));
    const s = shipper();
    const shipped = await scanUntilSettled(s);
    const { etag } = await container.getBlockBlobClient(shipped.shipped[0]!.blobName).getProperties();

    now += SETTLE_MS;
    const again = await s.shipNow();

    expect(again.shipped).toEqual([]);
    expect(again.alreadyShipped).toEqual([{ file, blobName: shipped.shipped[0]!.blobName }]);
    expect((await container.getBlockBlobClient(shipped.shipped[0]!.blobName).getProperties()).etag).toBe(etag);
  });

  it('does not ship a file that is still growing until its size and mtime have stayed the same for the settle period', async () => {
    const file = await writeBackup('growing.bak', randomBytes(100_000), new Date('2026-11-22T02:59:00Z'));
    const s = shipper();
    await s.shipNow();

    await appendFile(file, randomBytes(50_000));
    await utimes(file, TAKEN_AT, TAKEN_AT);
    now += SETTLE_MS;
    const afterGrowth = await s.shipNow();
    now += SETTLE_MS / 2;
    const tooSoon = await s.shipNow();
    now += SETTLE_MS / 2;
    const settled = await s.shipNow();

    expect(afterGrowth.pending).toEqual([{ file, reason: 'settling' }]);
    expect(tooSoon.pending).toEqual([{ file, reason: 'settling' }]);
    expect(settled.shipped).toHaveLength(1);
    expect(settled.shipped[0]).toMatchObject({ sizeBytes: 150_000, blobName: backupBlobName(PREFIX, TAKEN_AT, HOST) });
    expect(sha256(await container.getBlockBlobClient(settled.shipped[0]!.blobName).downloadToBuffer())).toBe(sha256(await readFile(file)));
  });

  it('does not ship an empty file, which is no backup yet', async () => {
    const file = await writeBackup('starting.bak', Buffer.alloc(0));

    const report = await scanUntilSettled(shipper());

    expect(report.pending).toEqual([{ file, reason: 'empty' }]);
    expect(await blobNames()).toEqual([]);
  });

  it('after a restart with its ledger, uploads nothing again yet ships what arrived meanwhile', async () => {
    const old = await writeBackup('monday.bak', randomBytes(2000));
    const first = await scanUntilSettled(shipper());
    const oldBlob = first.shipped[0]!.blobName;
    const { etag } = await container.getBlockBlobClient(oldBlob).getProperties();
    const newer = await writeBackup('tuesday.bak', randomBytes(3000), new Date(TAKEN_AT.getTime() + 86_400_000));

    const restarted = shipper();
    const report = await scanUntilSettled(restarted);

    expect(report.alreadyShipped).toEqual([{ file: old, blobName: oldBlob }]);
    expect(report.shipped.map((b) => b.file)).toEqual([newer]);
    expect((await container.getBlockBlobClient(oldBlob).getProperties()).etag).toBe(etag);
  });

  it('recognises a backup uploaded just before a crash that kept the ledger from being written: nothing is uploaded, the ledger is repaired', async () => {
    const file = await writeBackup('crash.bak', randomBytes(200_000));
    const ledgerFile = join(agentData, 'shipped.json');
    const shipped = (await scanUntilSettled(shipper())).shipped[0]!;
    const { etag } = await container.getBlockBlobClient(shipped.blobName).getProperties();
    await rm(ledgerFile);

    const report = await scanUntilSettled(shipper());

    expect(report.shipped).toEqual([]);
    expect(report.recovered).toEqual([shipped]);
    expect((await container.getBlockBlobClient(shipped.blobName).getProperties()).etag).toBe(etag);
    const ledger = JSON.parse(await readFile(ledgerFile, 'utf8')) as { shipped: { path: string; sha256: string }[] };
    expect(ledger.shipped).toEqual([expect.objectContaining({ path: file, sha256: shipped.sha256, blobName: shipped.blobName })]);
    expect((await shipper().shipNow()).alreadyShipped).toEqual([{ file, blobName: shipped.blobName }]);
  });

  it('never overwrites a blob of the same name holding other content, and reports the conflict', async () => {
    const file = await writeBackup('conflict.bak', randomBytes(5000));
    const blob = container.getBlockBlobClient(backupBlobName(PREFIX, TAKEN_AT, HOST));
    await container.create();
    await blob.upload('something else', 14);

    const report = await scanUntilSettled(shipper());

    expect(report.failed).toEqual([expect.objectContaining({ file, code: 'BACKUP_CONFLICT' })]);
    expect((await blob.downloadToBuffer()).toString()).toBe('something else');
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', fields: expect.objectContaining({ file, code: 'BACKUP_CONFLICT' }) }));
  });

  it('ignores files that do not match the pattern and folders named like backups, and matches names without regard to case', async () => {
    await writeBackup('log.trn', randomBytes(10));
    await writeBackup('notes.txt', randomBytes(10));
    await writeBackup('copy.bak.tmp', randomBytes(10));
    await mkdir(join(folder, 'archive.bak'));
    const upper = await writeBackup('ADTEMPUS.BAK', randomBytes(10));

    const report = await scanUntilSettled(shipper());

    expect(report.shipped.map((b) => b.file)).toEqual([upper]);
    expect([...report.pending, ...report.failed, ...report.alreadyShipped]).toEqual([]);
    expect(await blobNames()).toEqual([backupBlobName(PREFIX, TAKEN_AT, HOST)]);
  });

  it('logs a file that vanished after it was listed, skips it, and still ships the others', async () => {
    const gone = join(folder, 'gone.bak');
    await symlink(join(folder, 'nowhere'), gone);
    const kept = await writeBackup('kept.bak', randomBytes(100));

    const report = await scanUntilSettled(shipper());

    expect(report.failed).toEqual([expect.objectContaining({ file: gone, code: 'BACKUP_VANISHED' })]);
    expect(report.shipped.map((b) => b.file)).toEqual([kept]);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', message: 'Backup file vanished before it could be shipped', fields: { file: gone } }));
  });

  it('reports and logs a backup folder it cannot read, instead of throwing', async () => {
    const report = await shipper({ folder: join(folder, 'missing') }).shipNow();

    expect(report.scanError).toMatchObject({ code: 'BACKUP_FOLDER_UNREADABLE' });
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', message: 'Backup scan failed; trying again next scan' }));
  });

  it('polls on its own once started, and stops when told', async () => {
    const file = await writeBackup('polled.bak', randomBytes(100));
    const reports: ShipReport[] = [];
    let shippedOne: () => void = () => undefined;
    const shippedSeen = new Promise<void>((resolve) => (shippedOne = resolve));
    const s = shipper({
      settleMs: 0,
      pollIntervalMs: 10,
      clock: undefined,
      onScan: (report) => {
        reports.push(report);
        if (report.shipped.length > 0) shippedOne();
      },
    });

    s.start();
    await shippedSeen;
    await s.stop();
    const scans = reports.length;
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(reports[0]!.pending).toEqual([{ file, reason: 'settling' }]);
    expect(reports.flatMap((r) => r.shipped).map((b) => b.file)).toEqual([file]);
    expect(reports).toHaveLength(scans);
  });

  it('ships on its own once started even when nobody listens to its scans', async () => {
    await writeBackup('unobserved.bak', randomBytes(100));
    const s = shipper({ settleMs: 0, pollIntervalMs: 10, clock: undefined });

    s.start();
    let names: string[] = [];
    for (let round = 0; round < 200 && names.length === 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      names = await blobNames();
    }
    await s.stop();

    expect(names).toHaveLength(1);
  });

  it('refuses a source machine the backup contract cannot name, when it is built', () => {
    expect(() => shipper({ sourceMachine: 'ADT PRI' })).toThrow('sourceMachine must be a host name');
  });
});
