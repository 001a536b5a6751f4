import { availableParallelism, loadavg } from 'node:os';
import { PerformanceObserver, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createBlobServiceClient } from '../shared/adapters/blob/blobServiceClient';
import { BlobStateStore } from '../shared/adapters/blob/blobStateStore';
import { SqlHeartbeatSource } from '../shared/adapters/sql/sqlHeartbeatSource';
import { loadConfig } from '../shared/config/loadConfig';
import type { Notification } from '../shared/domain/notification';
import type { AlertChannel } from '../shared/ports/alertChannel.port';
import type { Logger } from '../shared/ports/logger.port';
import type { HeartbeatCheck, MonitorDeps } from '../shared/services/heartbeatMonitor';
import { runHeartbeatPass } from '../shared/services/heartbeatPass';
import type { ChannelDirectory } from '../shared/services/notificationDispatcher';
import type { PairOutcome } from '../shared/services/runPairs';
import type { HeartbeatSource } from '../shared/ports/heartbeatSource.port';
import { startAzurite, type AzuriteInstance } from '../test/support/azurite';
import { forkTdsPeer, type PeerStats, type TdsPeerProcess } from './support/forkTdsPeer';
import { fleetSettings } from './support/monitorFleet';
import { cpuBetween, sampleCpu } from './support/processCpu';
import { CallTimes, timedHeartbeats, timedState } from './support/timedPorts';

/**
 * One heartbeat-monitor pass (runHeartbeatPass with the real SqlHeartbeatSource and the real
 * BlobStateStore on Azurite) over 50, 500 and 2,000 healthy pairs, each pair with its own
 * database and so its own pool, against a TDS peer that answers every query after 50 ms.
 * Per size: a cold pass (every pool logs in, every state record is created) and a warm pass
 * (pools reused, records replaced under their ETag), which is what the timer runs all day.
 * Target, on the warm pass at 500 pairs: at most 3 s, peak RSS at most 200 MB, and time that
 * grows no faster than linearly with the number of pairs.
 *
 * Azurite 3.35 scans every blob of its account on each request, so its cost per request grows
 * with the records it holds (measured: 1.5 ms of CPU at 500, 1.9 ms at 2,000 on a quiet machine,
 * up to 3.4 ms on a busy one) and it is single-threaded: across deployments,
 * pass(2000)/pass(500) measures the emulator as much as the watchdog. Both ratios are printed;
 * the target judges the one taken with the store held at 2,000 records, the 2,000-pair pass
 * against a pass over 500 of the same deployment's pairs.
 *
 * Azurite and the TDS peer run in processes of their own, so process.resourceUsage().maxRSS
 * is the watchdog's. maxRSS is a high-water mark: read after the 500-pair passes it covers
 * them (and the small 50-pair ones), not yet the 2,000-pair ones.
 * Concurrency is the product's default (WATCHDOG_MAX_CONCURRENCY unset) unless the environment
 * sets WATCHDOG_MAX_CONCURRENCY. The last line of output is one JSON object for CI.
 */

const SIZES = [50, 500, 2_000] as const;
const QUERY_LATENCY_MS = 50;
const TARGET_PAIRS = 500;
const TARGET_PASS_MS = 3_000;
const TARGET_RSS_MB = 200;
// Allowance for noise on a shared machine when judging "no faster than linear" (1.0 is exactly linear).
const LINEARITY_LIMIT = 1.15;

interface PassFigures {
  readonly ms: number;
  readonly logins: number;
  readonly queries: number;
  readonly calls: ReturnType<CallTimes['summary']>;
  /** CPU ms spent during the pass by the watchdog and by each helper process. */
  readonly cpuMs: Record<string, number>;
  /** The watchdog's event loop: how late timers and I/O callbacks ran (p99, max), and time in GC. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  readonly gcMs: number;
}

interface SizeFigures {
  readonly pairs: number;
  readonly concurrency: number;
  readonly cold: PassFigures;
  readonly warm: PassFigures;
  /** A warm pass over the first TARGET_PAIRS pairs of this (larger) deployment: same store, same pools. */
  readonly subset?: PassFigures;
  /** process maxRSS (MB) once this size's passes are done. */
  readonly peakRssMb: number;
  readonly rssAfterMb: number;
  readonly heapUsedMb: number;
}

/** Counts what the watchdog logs: a healthy pass logs no warning and no error. */
function countingLogger(): Logger & { readonly problems: string[] } {
  const problems: string[] = [];
  const note = (message: string, fields?: Readonly<Record<string, unknown>>): void => void problems.push(`${message} ${JSON.stringify(fields ?? {})}`);
  return { problems, info: () => undefined, warn: note, error: note };
}

/** A channel directory whose one channel records what it is given: healthy pairs give it nothing. */
function recordingChannels(): ChannelDirectory & { readonly sent: Notification[] } {
  const sent: Notification[] = [];
  const recorder: AlertChannel = { kind: 'teams', label: 'bench:recorder', send: async (n) => void sent.push(n) };
  return { sent, forPair: () => ({ preferred: [recorder], fallback: [] }) };
}

function verify(outcomes: readonly PairOutcome<HeartbeatCheck>[], pairs: number, logger: { problems: string[] }, channels: { sent: Notification[] }): void {
  if (outcomes.length !== pairs) throw new Error(`the pass reported ${outcomes.length} pairs, expected ${pairs}`);
  const wrong = outcomes.find((o) => !o.ok || o.result?.state !== 'healthy' || o.result.observed !== 'healthy' || o.result.notified !== 0);
  if (wrong) throw new Error(`pair ${wrong.pairId} did not come out healthy and quiet: ${JSON.stringify(wrong)}`);
  if (channels.sent.length > 0) throw new Error(`${channels.sent.length} notifications were sent; healthy pairs send none`);
  if (logger.problems.length > 0) throw new Error(`the pass logged ${logger.problems.length} warnings or errors, first: ${logger.problems[0]}`);
}

const maxRssMb = (): number => process.resourceUsage().maxRSS / 1024;
const rssMb = (): number => process.memoryUsage().rss / (1024 * 1024);
const heapUsedMb = (): number => process.memoryUsage().heapUsed / (1024 * 1024);
const roleOf = (commandLine: string): string => (commandLine.includes('azurite') ? 'azurite' : commandLine.includes('tdsPeerProcess') ? 'tds peer' : 'other');

async function measurePass(
  deps: MonitorDeps & { readonly heartbeats: HeartbeatSource },
  peer: TdsPeerProcess,
  times: CallTimes,
  check: (outcomes: readonly PairOutcome<HeartbeatCheck>[], pairs: number) => void,
): Promise<PassFigures> {
  const before: PeerStats = await peer.stats();
  times.reset();
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => list.getEntries().forEach((entry) => (gcMs += entry.duration)));
  gc.observe({ entryTypes: ['gc'] });
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpuBefore = sampleCpu(roleOf);
  const started = performance.now();
  const outcomes = await runHeartbeatPass(deps);
  const ms = performance.now() - started;
  const cpuMs = cpuBetween(cpuBefore, sampleCpu(roleOf));
  loop.disable();
  gc.disconnect();
  const after = await peer.stats();
  check(outcomes, deps.pairs.length);
  return {
    ms,
    logins: after.logins - before.logins,
    queries: after.queries - before.queries,
    calls: times.summary(),
    cpuMs,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
    gcMs,
  };
}

/**
 * One deployment of `pairs` pairs: its own app services and its own Azurite, so the cold pass
 * starts with no record, as a new deployment does, and the store then holds this size's records
 * only (Azurite 3.35 scans every blob of the account on each request: records left by smaller
 * sizes would slow the larger ones down).
 */
async function measureSize(pairs: number, peer: TdsPeerProcess): Promise<SizeFigures> {
  const azurite = await startAzurite();
  try {
    return await measureDeployment(pairs, azurite, peer);
  } finally {
    await azurite.stop();
  }
}

async function measureDeployment(pairs: number, azurite: AzuriteInstance, peer: TdsPeerProcess): Promise<SizeFigures> {
  const config = loadConfig(
    fleetSettings({
      count: pairs,
      peerPort: peer.port,
      storageConnectionString: azurite.connectionString,
      stateContainer: 'watchdog-state',
      maxConcurrency: process.env['WATCHDOG_MAX_CONCURRENCY'],
    }),
  );
  const logger = countingLogger();
  const channels = recordingChannels();
  const times = new CallTimes();
  const source = new SqlHeartbeatSource(config.pairs, { ...config.sql, logger });
  const state = new BlobStateStore(createBlobServiceClient(config.storage).getContainerClient(config.stateContainer));
  const deps = {
    pairs: config.pairs,
    heartbeats: timedHeartbeats(source, times),
    state: timedState(state, times),
    channels,
    clock: () => new Date(),
    logger,
    maxConcurrency: config.maxConcurrency,
    // As in production: each check also reads both agents' liveness records.
    agentHeartbeatIntervalSeconds: config.agentHeartbeatIntervalSeconds,
  };
  const check = (outcomes: readonly PairOutcome<HeartbeatCheck>[], count: number): void => verify(outcomes, count, logger, channels);
  try {
    const cold = await measurePass(deps, peer, times, check);
    const warm = await measurePass(deps, peer, times, check);
    // mssql's connect() logs in once to check the settings, closes that connection, then the pool logs in again.
    if (cold.logins < pairs) throw new Error(`the cold pass logged in ${cold.logins} times, expected at least one per pair's database (${pairs})`);
    if (warm.logins !== 0) throw new Error(`the warm pass logged in ${warm.logins} times: pools were not reused`);
    const figures = { pairs, concurrency: config.maxConcurrency, cold, warm, peakRssMb: maxRssMb(), rssAfterMb: rssMb(), heapUsedMb: heapUsedMb() };
    if (pairs <= TARGET_PAIRS) return figures;
    const subset = await measurePass({ ...deps, pairs: config.pairs.slice(0, TARGET_PAIRS) }, peer, times, check);
    return { ...figures, subset };
  } finally {
    await source.close();
  }
}

const fixed = (n: number, digits = 1): string => n.toFixed(digits);
const round1 = (n: number): number => Math.round(n * 10) / 10;
const round3 = (n: number): number => Math.round(n * 1000) / 1000;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
/** The machine's 1-minute load average against its cores: figures taken on a busy machine say little. */
const machineLoad = (): string => `load average ${fixed(loadavg()[0] ?? 0, 2)} on ${availableParallelism()} cores`;

/** Azurite's CPU per state request: it grows with the records Azurite holds, whatever the watchdog does. */
function azuriteMsPerRequest(pass: PassFigures): number {
  const requests = (pass.calls['state read']?.calls ?? 0) + (pass.calls['state write']?.calls ?? 0);
  return (pass.cpuMs['azurite'] ?? 0) / Math.max(1, requests);
}

function describePass(name: string, pairs: number, concurrency: number, pass: PassFigures): string {
  // With every pair taking one slot for its whole check, ms x concurrency / pairs is one check's duration.
  const slotMs = (pass.ms * concurrency) / pairs;
  const floorMs = (pairs * QUERY_LATENCY_MS) / concurrency;
  const calls = Object.entries(pass.calls)
    .map(([label, c]) => `${label} ${fixed(c.meanMs)} ms x${c.calls}`)
    .join(', ');
  const cpu = Object.entries(pass.cpuMs)
    .map(([role, ms]) => `${role} ${seconds(ms)}`)
    .join(', ');
  return (
    `  ${name} ${seconds(pass.ms).padStart(8)}  (${fixed(slotMs)} ms per check; query-latency floor ${seconds(floorMs)}; ` +
    `${pass.logins} logins, ${pass.queries} queries)\n       mean ${calls}\n` +
    `       CPU ${cpu} (Azurite ${fixed(azuriteMsPerRequest(pass), 2)} ms per state request); ` +
    `watchdog event-loop delay p99 ${fixed(pass.loopDelayP99Ms)} ms, max ${fixed(pass.loopDelayMaxMs)} ms, GC ${fixed(pass.gcMs, 0)} ms`
  );
}

async function main(): Promise<void> {
  const baselineRssMb = maxRssMb();
  let peer: TdsPeerProcess | undefined;
  try {
    peer = await forkTdsPeer({ latencyMs: QUERY_LATENCY_MS, pairs: Math.max(...SIZES) });
    console.log(`TDS peer on port ${peer.port} answering after ${QUERY_LATENCY_MS} ms and a fresh Azurite per size, each in a process of its own`);
    console.log(`peak RSS before the first pass (modules loaded): ${fixed(baselineRssMb)} MB; ${machineLoad()}`);

    const figures: SizeFigures[] = [];
    for (const pairs of SIZES) {
      const size = await measureSize(pairs, peer);
      figures.push(size);
      console.log(`${pairs} pairs, concurrency ${size.concurrency}, a database and a pool per pair:`);
      console.log(describePass('cold', pairs, size.concurrency, size.cold));
      console.log(describePass('warm', pairs, size.concurrency, size.warm));
      if (size.subset) console.log(describePass(`warm, first ${TARGET_PAIRS} only`, TARGET_PAIRS, size.concurrency, size.subset));
      console.log(`  peak RSS so far ${fixed(size.peakRssMb)} MB; now RSS ${fixed(size.rssAfterMb)} MB, JS heap ${fixed(size.heapUsedMb)} MB`);
    }

    const at = (pairs: number): SizeFigures => figures.find((f) => f.pairs === pairs)!;
    const [small, target, large] = [at(50), at(TARGET_PAIRS), at(2_000)];
    const linearity2000vs500 = large.warm.ms / (4 * target.warm.ms);
    const linearity500vs50 = target.warm.ms / (10 * small.warm.ms);
    // The same ratio with Azurite holding 2,000 records in both passes: the watchdog's own growth.
    const sameStore = large.subset!;
    const linearity2000vs500SameStore = large.warm.ms / (4 * sameStore.ms);
    const targetMet = target.warm.ms <= TARGET_PASS_MS && target.peakRssMb <= TARGET_RSS_MB && linearity2000vs500SameStore <= LINEARITY_LIMIT;
    console.log(
      `warm pass(2000)/pass(500)/4 = ${fixed(linearity2000vs500, 3)}, pass(500)/pass(50)/10 = ${fixed(linearity500vs50, 3)} ` +
        `(1 is linear; below 1 the fixed cost of a pass is being spread)`,
    );
    console.log(
      `  Azurite's CPU per state request: ${fixed(azuriteMsPerRequest(target.warm), 2)} ms holding ${TARGET_PAIRS} records, ` +
        `${fixed(azuriteMsPerRequest(large.warm), 2)} ms holding 2000 (it scans the account's blobs on every request)`,
    );
    console.log(
      `  with Azurite holding 2000 records in both: pass(2000)/pass(first 500)/4 = ${fixed(linearity2000vs500SameStore, 3)} (the watchdog's own growth)`,
    );
    console.log(`${machineLoad()} at the end (the benchmark itself keeps about 1.5 busy)`);
    console.log(
      `target at ${TARGET_PAIRS} pairs: warm pass ${seconds(target.warm.ms)} (<= ${seconds(TARGET_PASS_MS)}), ` +
        `peak RSS ${fixed(target.peakRssMb)} MB (<= ${TARGET_RSS_MB} MB), same-store linearity <= ${LINEARITY_LIMIT}: ${targetMet ? 'met' : 'NOT met'}`,
    );
    console.log(
      JSON.stringify({
        bench: 'monitor',
        concurrency: target.concurrency,
        queryLatencyMs: QUERY_LATENCY_MS,
        passMs50: Math.round(small.warm.ms),
        passMs500: Math.round(target.warm.ms),
        passMs2000: Math.round(large.warm.ms),
        coldPassMs50: Math.round(small.cold.ms),
        coldPassMs500: Math.round(target.cold.ms),
        coldPassMs2000: Math.round(large.cold.ms),
        peakRssMb: round1(target.peakRssMb),
        peakRssMb2000: round1(large.peakRssMb),
        linearity2000vs500: round3(linearity2000vs500),
        linearity500vs50: round3(linearity500vs50),
        linearity2000vs500SameStore: round3(linearity2000vs500SameStore),
        azuriteCpuMsPerRequest500: round3(azuriteMsPerRequest(target.warm)),
        azuriteCpuMsPerRequest2000: round3(azuriteMsPerRequest(large.warm)),
        targetMet,
      }),
    );
  } finally {
    await peer?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
