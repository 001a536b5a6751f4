import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShipLedger, type ShippedFile } from '../../../agent/backup/shipLedger';
import type { Logger } from '../../../shared/ports/logger.port';

let dir: string;
let file: string;
const warnings: string[] = [];
const logger: Logger = { info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined };

const entry = (path: string, over: Partial<ShippedFile> = {}): ShippedFile => ({
  path,
  sizeBytes: 10,
  mtimeMs: 1_795_230_000_123.456,
  blobName: `p/${path}`,
  sha256: 'a'.repeat(64),
  shippedAt: '2026-11-22T03:01:00.000Z',
  ...over,
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-'));
  file = join(dir, 'shipped.json');
  warnings.length = 0;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ShipLedger', () => {
  it('starts empty when there is no ledger file yet', async () => {
    const ledger = await ShipLedger.load(file, logger);

    expect(ledger.size).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('remembers a shipped file across a reload, by path, size and exact mtime', async () => {
    const ledger = await ShipLedger.load(file, logger);
    await ledger.record(entry('/b/a.bak'));

    const reloaded = await ShipLedger.load(file, logger);

    expect(reloaded.find('/b/a.bak', 10, 1_795_230_000_123.456)).toEqual(entry('/b/a.bak'));
    expect(reloaded.find('/b/a.bak', 11, 1_795_230_000_123.456)).toBeUndefined();
    expect(reloaded.find('/b/a.bak', 10, 1_795_230_000_124)).toBeUndefined();
  });

  it('replaces the file through a temp file, leaving nothing else behind', async () => {
    const ledger = await ShipLedger.load(file, logger);
    await ledger.record(entry('/b/a.bak'));
    await ledger.record(entry('/b/b.bak'));

    expect(await readdir(dir)).toEqual(['shipped.json']);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, shipped: [entry('/b/a.bak'), entry('/b/b.bak')] });
  });

  it('forgets files that are gone from the folder', async () => {
    const ledger = await ShipLedger.load(file, logger);
    await ledger.record(entry('/b/a.bak'));
    await ledger.record(entry('/b/b.bak'));

    await ledger.retainOnly(new Set(['/b/b.bak']));

    expect((await ShipLedger.load(file, logger)).find('/b/a.bak', 10, 1_795_230_000_123.456)).toBeUndefined();
    expect((await ShipLedger.load(file, logger)).size).toBe(1);
  });

  it('treats a corrupt ledger as empty and says so, since Blob storage is checked before any upload', async () => {
    await writeFile(file, '{"version":1,"shipped":[{"path":');

    const ledger = await ShipLedger.load(file, logger);

    expect(ledger.size).toBe(0);
    expect(warnings).toEqual(['The backup ledger is not valid JSON: starting afresh; Blob storage is checked before any upload']);
  });

  it('drops malformed entries and keeps the sound ones', async () => {
    await writeFile(file, JSON.stringify({ version: 1, shipped: [entry('/b/a.bak'), { path: '/b/x.bak', sizeBytes: '10' }] }));

    const ledger = await ShipLedger.load(file, logger);

    expect(ledger.size).toBe(1);
    expect(warnings).toEqual(['Ignoring a malformed backup ledger entry']);
  });
});
