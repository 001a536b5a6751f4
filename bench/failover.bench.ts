import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { installFunctionsCore } from '../local/installFunctionsCore';
import { LAB_TIMING } from '../local/lab/labSettings';
import { runFailover, type FailoverRunKind, type FailoverSample } from './support/failoverRun';

/**
 * How fast the whole watchdog fails over in the lab (`npm start`'s world: the real registrations
 * on the local host, the real agents, simulated adTempus keeping adTempus's lock rules, time
 * scaled to a 30 s takeover delay). Each lab run is a child process with a fresh lab, in which
 * both Primaries break at once, so every run gives one shared-database and one copied-database
 * failover:
 * - lost Primary host (process and agent gone), RUNS runs: detection, from the Primary's last
 *   heartbeat in its lock to the failover's start (the instance's createdAt), at most takeover
 *   delay + poll interval + 2 s; RTO, from that heartbeat to the Secondary's first heartbeat as
 *   owner (the lab's lock table), at most detection + restore time + 15 s (detection and restore
 *   time: the measured p95s);
 * - crashed service on a live host with restarts in place disabled (maxRestartsInPlace 0), RUNS
 *   runs: detection at most one agent heartbeat interval + 2 s, the faster path a live agent that
 *   saw the service stop makes possible; both pairs' samples count.
 * Runs go FAILOVER_BENCH_CONCURRENCY (default 2) at a time; FAILOVER_BENCH_RUNS overrides RUNS.
 * The last line of output is one JSON object for CI.
 */

const RUNS = Number(process.env['FAILOVER_BENCH_RUNS'] ?? 10);
const CONCURRENCY = Number(process.env['FAILOVER_BENCH_CONCURRENCY'] ?? 2);
const CHILD_FLAG = '--lab-run';
const TAKEOVER_DELAY_MS = LAB_TIMING.takeoverDelaySeconds * 1000;
const POLL_MS = LAB_TIMING.heartbeatMonitorSeconds * 1000;
const AGENT_HEARTBEAT_MS = LAB_TIMING.agentHeartbeatSeconds * 1000;
const SLACK_MS = 2_000;
const RTO_SLACK_MS = 15_000;

type ChildAnswer = { readonly samples: FailoverSample[] } | { readonly error: string };

interface Group {
  readonly detectionMedianMs: number;
  readonly detectionP95Ms: number;
  readonly detectionBoundMs: number;
  readonly rtoMedianMs: number;
  readonly rtoP95Ms: number;
  readonly rtoBoundMs: number;
  readonly restoreP95Ms: number;
  readonly runs: number;
  readonly targetMet: boolean;
}

async function main(): Promise<void> {
  const began = performance.now();
  console.log(
    `lab timing: takeover delay ${TAKEOVER_DELAY_MS / 1000} s, heartbeat monitor every ${POLL_MS / 1000} s (${LAB_TIMING.consecutiveChecks} consecutive checks), ` +
      `agent heartbeat every ${AGENT_HEARTBEAT_MS / 1000} s, adTempus heartbeat every ${LAB_TIMING.adTempusHeartbeatSeconds} s; ` +
      `${RUNS} lab runs per scenario, ${CONCURRENCY} at a time on ${availableParallelism()} CPUs`,
  );
  const hostCrash = await runAll('host-crash');
  const serviceCrash = await runAll('service-crash');

  const lostHostBound = TAKEOVER_DELAY_MS + POLL_MS + SLACK_MS;
  const shared = summarize(hostCrash.filter((s) => s.strategy === 'shared'), lostHostBound);
  const copied = summarize(hostCrash.filter((s) => s.strategy === 'copied'), lostHostBound);
  const crashedService = summarize(serviceCrash, AGENT_HEARTBEAT_MS + SLACK_MS);
  print('lost Primary host, shared database', shared);
  print('lost Primary host, copied database', copied);
  print('crashed service on a live host (no restart in place), both pairs', crashedService);
  const wallSeconds = Math.round((performance.now() - began) / 1000);
  console.log(`wall time ${wallSeconds} s`);
  console.log(
    JSON.stringify({
      bench: 'failover',
      takeoverDelayMs: TAKEOVER_DELAY_MS,
      pollIntervalMs: POLL_MS,
      agentHeartbeatMs: AGENT_HEARTBEAT_MS,
      shared,
      copied,
      serviceCrash: crashedService,
      wallSeconds,
      targetMet: shared.targetMet && copied.targetMet && crashedService.targetMet,
    }),
  );
}

async function runAll(kind: FailoverRunKind): Promise<FailoverSample[]> {
  const samples: FailoverSample[] = [];
  let next = 1;
  const worker = async (): Promise<void> => {
    while (next <= RUNS) {
      const run = next++;
      const started = performance.now();
      const got = await labRunInChild(kind);
      samples.push(...got);
      const line = got.map((s) => `${s.pairId} (${s.strategy}) detection ${sec(s.detectionMs)} RTO ${sec(s.rtoMs)}${s.restoreMs > 0 ? ` restore ${sec(s.restoreMs)}` : ''}`).join('; ');
      console.log(`${kind} run ${run}: ${line} [${sec(performance.now() - started)} wall]`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, CONCURRENCY) }, () => worker()));
  return samples;
}

function labRunInChild(kind: FailoverRunKind): Promise<FailoverSample[]> {
  return new Promise((resolve, reject) => {
    // The app's composition is process-wide: one lab and one local host per process.
    const child = fork(__filename, [CHILD_FLAG, kind], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let answer: ChildAnswer | undefined;
    child.stderr!.on('data', (chunk: Buffer) => (stderr = `${stderr}${chunk.toString()}`.slice(-4_000)));
    child.on('message', (message: ChildAnswer) => (answer = message));
    child.on('exit', (code) => {
      if (answer && 'samples' in answer) resolve(answer.samples);
      else reject(new Error(`a ${kind} lab run failed (exit ${String(code)}): ${answer && 'error' in answer ? answer.error : ''}\n${stderr}`));
    });
  });
}

function summarize(samples: readonly FailoverSample[], detectionBoundMs: number): Group {
  const detection = samples.map((s) => s.detectionMs);
  const rto = samples.map((s) => s.rtoMs);
  const detectionP95Ms = p95(detection);
  const restoreP95Ms = p95(samples.map((s) => s.restoreMs));
  const rtoP95Ms = p95(rto);
  const rtoBoundMs = detectionP95Ms + restoreP95Ms + RTO_SLACK_MS;
  return {
    detectionMedianMs: median(detection),
    detectionP95Ms,
    detectionBoundMs,
    rtoMedianMs: median(rto),
    rtoP95Ms,
    rtoBoundMs,
    restoreP95Ms,
    runs: samples.length,
    targetMet: detectionP95Ms <= detectionBoundMs && rtoP95Ms <= rtoBoundMs,
  };
}

function print(title: string, g: Group): void {
  console.log(
    `${title}, ${g.runs} failovers: detection median ${sec(g.detectionMedianMs)}, p95 ${sec(g.detectionP95Ms)} (target <= ${sec(g.detectionBoundMs)}); ` +
      `RTO median ${sec(g.rtoMedianMs)}, p95 ${sec(g.rtoP95Ms)} (target <= ${sec(g.rtoBoundMs)}: detection p95 + restore p95 ${sec(g.restoreP95Ms)} + 15 s)` +
      `${g.targetMet ? '' : ' - TARGET NOT MET'}`,
  );
}

const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
const median = (values: readonly number[]): number => {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
};
/** Nearest rank: with 10 samples, the largest. */
const p95 = (values: readonly number[]): number => {
  const s = sorted(values);
  return s.length === 0 ? NaN : s[Math.ceil(0.95 * s.length) - 1]!;
};
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function child(kind: FailoverRunKind): Promise<void> {
  // Before the local host loads the app: its registrations go to the local stand-in.
  installFunctionsCore();
  try {
    process.send!({ samples: await runFailover(kind) } satisfies ChildAnswer);
  } catch (error) {
    process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ChildAnswer);
  }
  // Whatever the app left scheduled, this run is over.
  process.disconnect();
  process.exit(0);
}

if (process.argv[2] === CHILD_FLAG) {
  void child(process.argv[3] as FailoverRunKind);
} else {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
