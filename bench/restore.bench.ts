import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { get } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { BlobSASPermissions, BlobServiceClient, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
import { downloadAndVerify } from '../agent/restore/downloadBackup';
import { startAzurite, type AzuriteInstance } from '../test/support/azurite';

/**
 * How fast and how lean the agent's restore download is: downloadAndVerify of a 1 GiB backup
 * through a read-only SAS, against a plain HTTP GET of the same blob saved to a file on the same
 * disk (what `curl -o` does). A restore must land the backup on disk before SQL Server can read
 * it, so the baseline lands it too: the ratio measures what the agent's own work (the SDK, the
 * SHA-256, the size and hash checks, the rename) costs over a bare download. Each round runs both
 * back to back, alternating which goes first, so they see the same load on the machine; the
 * median of the per-round ratios is reported.
 *
 * Each round also times a plain GET into a sink that discards the bytes: the most any client gets
 * from this Azurite. Its ratio is printed and put in the JSON as `throughputRatioVsDiscardingGet`;
 * on a two-core machine with Azurite on one core, writing 1 GiB to the page cache alone costs
 * about a third of that, so that ratio shows the machine more than the agent.
 *
 * The agent runs in a child process that runs this file, which imports nothing the download
 * does not load anyway (the Blob client is built with the SDK directly: createBlobServiceClient
 * would also load @azure/identity, about 10 MB). Its peak RSS is its VmHWM where Linux reports
 * it; process.resourceUsage().maxRSS is reported too, but on Linux a child's maxRSS starts at
 * its parent's RSS at fork time (exec carries the high-water mark over), so it shows this
 * benchmark's size after uploading the blobs rather than the agent's.
 *
 * Targets: agent throughput >= 0.8 x the plain GET to a file; agent peak RSS <= 150 MB, and not
 * growing with size: the 1 GiB runs' peak at most 64 MB above the 256 MiB runs'. Peak RSS moves
 * by a few tens of MB from run to run whatever the size (V8 frees network buffers only after
 * about 64 MB of them have been allocated since its last collection), while a download that grew
 * with the size would add 768 MB. The last line of output is one JSON object for CI.
 */

const MiB = 1024 * 1024;
const BIG_MIB = 1024;
const SMALL_MIB = 256;
const ROUNDS = 5;
const SMALL_ROUNDS = 3;
const BLOCK_BYTES = 8 * MiB;
const UPLOAD_CONCURRENCY = 4;
const PAGE = 4096;
const TARGET_RATIO = 0.8;
const TARGET_RSS_MB = 150;
const RSS_GROWTH_MAX_MB = 64;
const CONTAINER = 'restore-bench';
const CHILD_FLAG = '--agent-download';

interface ChildJob {
  readonly sasUrl: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly directory: string;
}

interface ChildResult {
  readonly ms: number;
  /** CPU time (user + system) the download took, all threads. */
  readonly cpuMs: number;
  /** The child's own peak RSS (VmHWM where the OS reports it, else maxRSS). */
  readonly peakRssKb: number;
  /** process.resourceUsage().maxRSS: includes the parent's RSS at fork on Linux. */
  readonly maxRssKb: number;
  readonly sizeBytes: number;
}

interface Uploaded {
  readonly blob: BlockBlobClient;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly ms: number;
}

/**
 * Stages generated blocks in parallel and commits them. Each block is one random buffer with its
 * block number stamped on every 4 KiB page, so no two pages of the blob are alike; the SHA-256 is
 * computed as the blocks are made, in order.
 */
async function uploadGenerated(container: ContainerClient, name: string, sizeMiB: number): Promise<Uploaded> {
  const started = performance.now();
  const blob = container.getBlockBlobClient(name);
  const base = randomBytes(BLOCK_BYTES);
  const hash = createHash('sha256');
  const ids: string[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const blocks = (sizeMiB * MiB) / BLOCK_BYTES;
  for (let index = 0; index < blocks; index++) {
    const block = Buffer.from(base);
    for (let page = 0; page < block.length; page += PAGE) block.writeUInt32LE(index, page);
    hash.update(block);
    const id = Buffer.from(`block-${String(index).padStart(6, '0')}`).toString('base64');
    ids.push(id);
    const staged: Promise<unknown> = blob.stageBlock(id, block, block.length).finally(() => inFlight.delete(staged));
    inFlight.add(staged);
    if (inFlight.size >= UPLOAD_CONCURRENCY) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await blob.commitBlockList(ids);
  return { blob, sha256: hash.digest('hex'), sizeBytes: sizeMiB * MiB, ms: performance.now() - started };
}

function readOnlySas(blob: BlockBlobClient): Promise<string> {
  return blob.generateSasUrl({ permissions: BlobSASPermissions.parse('r'), startsOn: new Date(Date.now() - 60_000), expiresOn: new Date(Date.now() + 3_600_000) });
}

interface Timing {
  readonly ms: number;
  readonly cpuMs: number;
}

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

/** A plain GET streamed into a sink that only counts bytes. */
function plainGet(url: string, sizeBytes: number): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    get(url, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`plain GET answered ${res.statusCode}`));
      }
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () =>
        bytes === sizeBytes ? resolve({ ms: performance.now() - started, cpuMs: cpuMsSince(cpu) }) : reject(new Error(`plain GET received ${bytes} of ${sizeBytes} bytes`)),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** A plain GET streamed into a file, which is then removed: the baseline. */
async function plainGetToFile(url: string, sizeBytes: number, directory: string): Promise<Timing> {
  const file = join(directory, 'plain-get.bin');
  const started = performance.now();
  const cpu = process.cpuUsage();
  await new Promise<void>((resolve, reject) => {
    get(url, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`plain GET answered ${res.statusCode}`));
      }
      pipeline(res, createWriteStream(file, { highWaterMark: MiB })).then(resolve, reject);
    }).on('error', reject);
  });
  const timing = { ms: performance.now() - started, cpuMs: cpuMsSince(cpu) };
  const written = (await stat(file)).size;
  await rm(file);
  if (written !== sizeBytes) throw new Error(`plain GET to a file wrote ${written} of ${sizeBytes} bytes`);
  return timing;
}

/** Runs downloadAndVerify in a fresh Node process and returns its figures. */
function agentInChild(job: ChildJob): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [CHILD_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: ChildResult | undefined;
    child.on('message', (message: ChildResult) => (result = message));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`the agent download child exited with code ${code}`))));
    child.send(job);
  });
}

/** The child: one download, verified, its figures sent back, the file removed. */
function runChild(): void {
  process.once('message', (job: ChildJob) => {
    void (async () => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const result = await downloadAndVerify({ sasUrl: job.sasUrl, expectedSha256: job.sha256, expectedSizeBytes: job.sizeBytes, directory: job.directory });
      const ms = performance.now() - started;
      const cpuMs = cpuMsSince(cpu);
      await rm(result.file);
      const maxRssKb = process.resourceUsage().maxRSS;
      const figures: ChildResult = { ms, cpuMs, peakRssKb: ownPeakRssKb() ?? maxRssKb, maxRssKb, sizeBytes: result.sizeBytes };
      process.send!(figures, () => process.disconnect());
    })().catch((error: unknown) => {
      console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
      process.exitCode = 1;
      process.disconnect();
    });
  });
}

/** VmHWM: the high-water mark of this process's own memory map, which exec starts afresh. */
function ownPeakRssKb(): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

const cpuPerGiB = (run: ChildResult): number => run.cpuMs / 1000 / (run.sizeBytes / 1024 ** 3);
const mibps = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000);
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round1 = (n: number): number => Math.round(n * 10) / 10;
const mb = (kb: number): number => round1(kb / 1024);

async function main(): Promise<void> {
  let azurite: AzuriteInstance | undefined;
  const directory = await mkdtemp(join(tmpdir(), 'restore-bench-'));
  try {
    azurite = await startAzurite();
    // Blocks of 8 MiB on a busy two-core machine can outlast the watchdog's 5 s per try.
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString, { retryOptions: { maxTries: 3, tryTimeoutInMs: 120_000 } });
    const container = service.getContainerClient(CONTAINER);
    await container.create();

    const big = await uploadGenerated(container, 'payroll/big.bak', BIG_MIB);
    console.log(`uploaded ${BIG_MIB} MiB in ${(big.ms / 1000).toFixed(1)} s (${mibps(big.sizeBytes, big.ms).toFixed(0)} MiB/s, ${BLOCK_BYTES / MiB} MiB blocks x ${UPLOAD_CONCURRENCY})`);
    const bigSas = await readOnlySas(big.blob);
    const bigJob: ChildJob = { sasUrl: bigSas, sha256: big.sha256, sizeBytes: big.sizeBytes, directory };

    const discard: number[] = [];
    const discardCpu: number[] = [];
    const discardRatios: number[] = [];
    const toFile: number[] = [];
    const agent: number[] = [];
    const ratios: number[] = [];
    const bigRuns: ChildResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const get = await plainGet(bigSas, big.sizeBytes);
      discard.push(mibps(big.sizeBytes, get.ms));
      discardCpu.push(get.cpuMs / 1000 / (big.sizeBytes / 1024 ** 3));
      const timeToFile = async (): Promise<void> => void toFile.push(mibps(big.sizeBytes, (await plainGetToFile(bigSas, big.sizeBytes, directory)).ms));
      // Alternating the order keeps whatever the first download leaves behind (dirty pages being
      // written back, a warmer Azurite) from always favouring the same side.
      if (round % 2 === 0) await timeToFile();
      const child = await agentInChild(bigJob);
      if (round % 2 === 1) await timeToFile();
      bigRuns.push(child);
      agent.push(mibps(child.sizeBytes, child.ms));
      ratios.push(agent.at(-1)! / toFile.at(-1)!);
      discardRatios.push(agent.at(-1)! / discard.at(-1)!);
      console.log(
        `round ${round}: plain GET to a file ${toFile.at(-1)!.toFixed(0)} MiB/s; agent downloadAndVerify ${agent.at(-1)!.toFixed(0)} MiB/s (ratio ${ratios.at(-1)!.toFixed(2)}); ` +
          `plain GET discarding ${discard.at(-1)!.toFixed(0)} MiB/s (agent ratio ${discardRatios.at(-1)!.toFixed(2)}); ` +
          `peak RSS ${mb(child.peakRssKb)} MB (maxRSS ${mb(child.maxRssKb)} MB); CPU s per GiB: discarding GET ${discardCpu.at(-1)!.toFixed(2)}, agent ${cpuPerGiB(child).toFixed(2)}`,
      );
    }
    await big.blob.delete();

    const small = await uploadGenerated(container, 'payroll/small.bak', SMALL_MIB);
    const smallJob: ChildJob = { sasUrl: await readOnlySas(small.blob), sha256: small.sha256, sizeBytes: small.sizeBytes, directory };
    const smallRuns: ChildResult[] = [];
    for (let round = 1; round <= SMALL_ROUNDS; round++) {
      const child = await agentInChild(smallJob);
      smallRuns.push(child);
      console.log(
        `${SMALL_MIB} MiB, round ${round}: agent downloadAndVerify ${mibps(child.sizeBytes, child.ms).toFixed(0)} MiB/s, peak RSS ${mb(child.peakRssKb)} MB (maxRSS ${mb(child.maxRssKb)} MB)`,
      );
    }
    await small.blob.delete();

    const plainMiBps = median(toFile);
    const agentMiBps = median(agent);
    const throughputRatio = median(ratios);
    const agentPeakRssMb = mb(Math.max(...bigRuns.map((r) => r.peakRssKb)));
    const agentPeakRssMbSmall = mb(Math.max(...smallRuns.map((r) => r.peakRssKb)));
    const rssGrowthMb = round1(agentPeakRssMb - agentPeakRssMbSmall);
    const ratio2 = (n: number): number => Math.round(n * 100) / 100;
    console.log(
      `${BIG_MIB} MiB, medians of ${ROUNDS}: plain GET to a file ${plainMiBps.toFixed(0)} MiB/s, agent ${agentMiBps.toFixed(0)} MiB/s (ratio ${throughputRatio.toFixed(2)}, target >= ${TARGET_RATIO}); ` +
        `against a discarding GET (${median(discard).toFixed(0)} MiB/s) ${median(discardRatios).toFixed(2)}; ` +
        `agent peak RSS ${agentPeakRssMb} MB (target <= ${TARGET_RSS_MB}), ${rssGrowthMb} MB above the ${SMALL_MIB} MiB runs' (target <= ${RSS_GROWTH_MAX_MB})`,
    );
    console.log(
      JSON.stringify({
        bench: 'restore',
        sizeMiB: BIG_MIB,
        smallSizeMiB: SMALL_MIB,
        rounds: ROUNDS,
        baseline: 'plain GET saved to a file on the same disk',
        throughputRatios: ratios.map(ratio2),
        throughputRatio: ratio2(throughputRatio),
        agentPeakRssMb,
        agentPeakRssMbSmall,
        rssGrowthMb,
        plainMiBps: round1(plainMiBps),
        agentMiBps: round1(agentMiBps),
        discardingGetMiBps: round1(median(discard)),
        throughputRatioVsDiscardingGet: ratio2(median(discardRatios)),
        discardingGetCpuSecondsPerGiB: ratio2(median(discardCpu)),
        agentCpuSecondsPerGiB: ratio2(median(bigRuns.map(cpuPerGiB))),
        cpus: availableParallelism(),
        agentMaxRssMbInherited: mb(Math.max(...bigRuns.map((r) => r.maxRssKb))),
        targetMet: throughputRatio >= TARGET_RATIO && agentPeakRssMb <= TARGET_RSS_MB && rssGrowthMb <= RSS_GROWTH_MAX_MB,
      }),
    );
  } finally {
    await azurite?.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

if (process.argv[2] === CHILD_FLAG) {
  runChild();
} else {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
