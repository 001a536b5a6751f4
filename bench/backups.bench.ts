import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ContainerClient } from '@azure/storage-blob';
import { BlobBackupCatalog } from '../shared/adapters/blob/blobBackupCatalog';
import { createBlobServiceClient } from '../shared/adapters/blob/blobServiceClient';
import { backupBlobName, backupMetadata, parseBackupName, type BackupDescriptor } from '../shared/domain/backupContract';
import { startAzurite, type AzuriteInstance } from '../test/support/azurite';

/**
 * How fast the backup monitor finds each pair's newest backups when every pair has years of
 * them: catalog.newest(…, 2) against a full listing of the pair's prefix, on Azurite.
 * Target: at most 2 list requests and a median of at most 100 ms per pair.
 * The last line of output is one JSON object for CI.
 *
 * Seeding: Azurite 3.35's Put Blob scans every blob of the account (LokiJS applies its index to
 * the first query term only, the account name), so 100,000 uploads take about 40 minutes on two
 * cores. One pair is therefore uploaded through the API, and Azurite's own store file is then
 * extended with the other pairs, renamed copies of those blobs, while it is stopped. The
 * measurements verify the result through the API (every pair lists 2,000 backups).
 */

const PAIRS = 50;
const PER_PAIR = 2_000;
const UPLOAD_CONCURRENCY = 32;
const ROUNDS = 3;
const TARGET_MS = 100;
const CONTAINER = 'backups';
const NEWEST = Date.parse('2026-11-22T03:00:00Z');
const HOUR = 3_600_000;
const BODY = Buffer.from('x');
const SHA256 = createHash('sha256').update(BODY).digest('hex');
// Azurite 3.35's store layout (pinned in package.json): a LokiJS database saved as JSON.
const BLOB_DB_FILE = '__azurite_db_blob__.json';
const BLOBS_COLLECTION = '$BLOBS_COLLECTION$';
const BLOB_INDEXED_FIELDS = ['accountName', 'containerName', 'name', 'snapshot'] as const;

const pairId = (p: number): string => `pair-${String(p).padStart(2, '0')}`;
const prefixOf = (p: number): string => `${pairId(p)}/`;
const machineOf = (p: number): string => `ADT-PRI${String(p).padStart(2, '0')}`;
const takenAt = (i: number): Date => new Date(NEWEST - i * HOUR);
const descriptor = (p: number, i: number): BackupDescriptor => ({
  pairId: pairId(p),
  sourceMachine: machineOf(p),
  takenAt: takenAt(i),
  sizeBytes: BODY.length,
  sha256: SHA256,
});

async function uploadPair(container: ContainerClient, p: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < PER_PAIR; i = next++) {
      const d = descriptor(p, i);
      await container.getBlockBlobClient(backupBlobName(prefixOf(p), d.takenAt, d.sourceMachine)).upload(BODY, BODY.length, { metadata: backupMetadata(d) });
    }
  };
  await Promise.all(Array.from({ length: UPLOAD_CONCURRENCY }, worker));
  return performance.now() - started;
}

interface LokiDoc {
  name: string;
  containerName: string;
  metadata: Record<string, string>;
  $loki: number;
  [field: string]: unknown;
}

interface LokiCollection {
  name: string;
  data: LokiDoc[];
  idIndex: number[] | null;
  maxId: number;
  binaryIndices: Record<string, { name: string; dirty: boolean; values: number[] }>;
}

/** Copies pair 0's blobs to pairs 1..PAIRS-1 in the stopped Azurite's store, keeping its indexes valid. */
async function clonePairs(location: string): Promise<number> {
  const started = performance.now();
  const file = join(location, BLOB_DB_FILE);
  const db = JSON.parse(await readFile(file, 'utf8')) as { collections: LokiCollection[] };
  const blobs = db.collections.find((c) => c.name === BLOBS_COLLECTION);
  if (blobs === undefined) throw new Error(`Azurite's store has no ${BLOBS_COLLECTION}: its layout changed`);
  const template = blobs.data.filter((d) => d.containerName === CONTAINER && d.name.startsWith(prefixOf(0)));
  if (template.length !== PER_PAIR) throw new Error(`expected ${PER_PAIR} uploaded blobs of ${pairId(0)}, found ${template.length}`);
  for (let p = 1; p < PAIRS; p++) {
    for (const doc of template) {
      const parsed = parseBackupName(prefixOf(0), doc.name);
      if (parsed === undefined) throw new Error(`uploaded blob ${doc.name} does not follow the contract`);
      const d = descriptor(p, Math.round((NEWEST - parsed.takenAt.getTime()) / HOUR));
      blobs.maxId += 1;
      blobs.data.push({ ...structuredClone(doc), name: backupBlobName(prefixOf(p), d.takenAt, d.sourceMachine), metadata: backupMetadata(d), $loki: blobs.maxId });
    }
  }
  // LokiJS keeps, per indexed field, the row positions sorted by that field; it rebuilds idIndex itself.
  blobs.idIndex = null;
  for (const field of BLOB_INDEXED_FIELDS) {
    const values = blobs.data.map((_, row) => row);
    values.sort((a, b) => compare(blobs.data[a]![field], blobs.data[b]![field]));
    blobs.binaryIndices[field] = { name: field, dirty: false, values };
  }
  await writeFile(file, JSON.stringify(db));
  return performance.now() - started;
}

function compare(a: unknown, b: unknown): number {
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

async function fullListing(container: ContainerClient, prefix: string): Promise<{ blobs: number; requests: number }> {
  let blobs = 0;
  let requests = 0;
  for await (const page of container.listBlobsFlat({ prefix, includeMetadata: true }).byPage({ maxPageSize: 5_000 })) {
    requests += 1;
    blobs += page.segment.blobItems.length;
  }
  return { blobs, requests };
}

function stats(samples: readonly number[]): { min: number; median: number; p95: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { min: sorted[0]!, median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1]! };
}

const fixed = (n: number): string => n.toFixed(1);
const round1 = (n: number): number => Math.round(n * 10) / 10;
const seconds = (n: number): string => `${(n / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const location = await mkdtemp(join(tmpdir(), 'backups-bench-'));
  let azurite: AzuriteInstance | undefined;
  try {
    azurite = await startAzurite({ location });
    const seedContainer = createBlobServiceClient({ kind: 'connectionString', connectionString: azurite.connectionString }).getContainerClient(CONTAINER);
    await seedContainer.create();
    const uploadMs = await uploadPair(seedContainer, 0);
    console.log(`uploaded ${PER_PAIR} backups of ${pairId(0)} in ${seconds(uploadMs)} (${Math.round(PER_PAIR / (uploadMs / 1000))} uploads/s, concurrency ${UPLOAD_CONCURRENCY})`);
    await azurite.stop();

    const cloneMs = await clonePairs(location);
    const loadStarted = performance.now();
    azurite = await startAzurite({ location, startTimeoutMs: 120_000 });
    const loadMs = performance.now() - loadStarted;
    const total = PAIRS * PER_PAIR;
    console.log(`copied them to ${PAIRS - 1} more pairs in Azurite's store in ${seconds(cloneMs)}; Azurite loaded ${total} blobs in ${seconds(loadMs)}`);

    const service = createBlobServiceClient({ kind: 'connectionString', connectionString: azurite.connectionString });
    const container = service.getContainerClient(CONTAINER);
    const catalog = new BlobBackupCatalog(service);
    // One call outside the figures: it pays for the first connection.
    await catalog.newest(CONTAINER, prefixOf(0), 2);

    const newestMs: number[] = [];
    let maxRequests = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let p = 0; p < PAIRS; p++) {
        const started = performance.now();
        const listing = await catalog.newest(CONTAINER, prefixOf(p), 2);
        newestMs.push(performance.now() - started);
        maxRequests = Math.max(maxRequests, listing.listRequests);
        const expected = [0, 1].map((i) => backupBlobName(prefixOf(p), takenAt(i), machineOf(p)));
        const found = listing.blobs.map((b) => b.name);
        if (found.join() !== expected.join() || listing.foreign.length > 0) {
          throw new Error(`${pairId(p)}: newest returned [${found.join(', ')}], expected [${expected.join(', ')}]`);
        }
      }
    }

    const fullMs: number[] = [];
    let fullRequests = 0;
    for (let p = 0; p < PAIRS; p++) {
      const started = performance.now();
      const full = await fullListing(container, prefixOf(p));
      fullMs.push(performance.now() - started);
      fullRequests = Math.max(fullRequests, full.requests);
      if (full.blobs !== PER_PAIR) throw new Error(`${pairId(p)}: a full listing found ${full.blobs} blobs, expected ${PER_PAIR}`);
    }

    const n = stats(newestMs);
    const f = stats(fullMs);
    console.log(
      `newest(…, 2), ${PAIRS} pairs x ${ROUNDS} rounds: min ${fixed(n.min)} / median ${fixed(n.median)} / p95 ${fixed(n.p95)} / max ${fixed(n.max)} ms; list requests per pair (max) ${maxRequests}`,
    );
    console.log(
      `full listing of a pair's ${PER_PAIR} backups, ${PAIRS} pairs: min ${fixed(f.min)} / median ${fixed(f.median)} / p95 ${fixed(f.p95)} / max ${fixed(f.max)} ms; list requests per pair (max) ${fullRequests}`,
    );
    console.log(
      JSON.stringify({
        bench: 'backups',
        pairs: PAIRS,
        blobs: total,
        listRequestsPerPair: maxRequests,
        msPerPair: round1(n.median),
        msPerPairP95: round1(n.p95),
        fullListingMsPerPair: round1(f.median),
        fullListingRatio: round1(f.median / n.median),
        targetMet: maxRequests <= 2 && n.median <= TARGET_MS,
      }),
    );
  } finally {
    await azurite?.stop();
    await rm(location, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
