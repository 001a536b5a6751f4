import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ANY_LAB_PORTS } from '../../local/lab/labSettings';
import type { Lab } from '../../local/lab/startLab';
import { startLocalHost } from '../../local/localHost';
import type { FailoverStatusView } from '../../shared/services/failoverInstanceView';
import type { PairDetail } from '../../shared/services/pairViews';

/** A lost Primary host (adTempus and its agent gone), or adTempus's process dying on a live host. */
export type FailoverRunKind = 'host-crash' | 'service-crash';

/** One pair's failover in one lab run, in milliseconds from the Primary's last heartbeat in its lock. */
export interface FailoverSample {
  readonly pairId: string;
  readonly strategy: 'shared' | 'copied';
  readonly code: string;
  readonly detectionMs: number;
  readonly rtoMs: number;
  /** The restore step's duration (copied pairs), from the failover's result. */
  readonly restoreMs: number;
}

const WAIT_BOUND_MS = 180_000;
const LOCK_POLL_MS = 25;
const API_POLL_MS = 250;

/**
 * One lab run: a fresh lab and the whole watchdog on it (the local host, as `npm start` runs it),
 * both Primaries broken at the same moment, and each pair's failover followed to its end.
 * Detection: from the Primary's last heartbeat in its lock to the failover instance's createdAt
 * (GET /api/failovers). RTO: from the same heartbeat to the Secondary's first heartbeat as owner,
 * read from the lab's lock table (polled every 25 ms, so the first row seen as the Secondary's
 * carries the heartbeat its start wrote).
 */
export async function runFailover(kind: FailoverRunKind): Promise<FailoverSample[]> {
  const history = await mkdtemp(join(tmpdir(), 'failover-bench-'));
  const host = await startLocalHost({
    labOptions: {
      ports: ANY_LAB_PORTS,
      // A crashed service must fail over, not be restarted where it was.
      ...(kind === 'service-crash' ? { adjustPairs: (pairs: unknown[]) => pairs.map((p) => withoutRestartsInPlace(p)) } : {}),
    },
    replaceEnvironment: true,
    historyDirectory: history,
    httpPort: 0,
    controlPort: 0,
  });
  try {
    const lab = host.lab!;
    const api = async <T>(path: string): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${host.apiUrl}${path}`);
      return { status: res.status, body: (await res.json()) as T };
    };
    // The monitor has seen every pair healthy, and every agent has reported: the steady state a failure interrupts.
    for (const pair of lab.pairs) await until(() => api<PairDetail>(`/pairs/${pair.id}`), (r) => (r.body.heartbeat as { state?: string } | null)?.state === 'healthy', API_POLL_MS);

    const runs = await Promise.all(lab.pairs.map((pair) => followOne(lab, pair.id, kind, api)));
    return runs;
  } finally {
    await host.stop();
    await rm(history, { recursive: true, force: true });
  }
}

async function followOne(
  lab: Lab,
  pairId: string,
  kind: FailoverRunKind,
  api: <T>(path: string) => Promise<{ status: number; body: T }>,
): Promise<FailoverSample> {
  const pair = lab.pairs.find((p) => p.id === pairId)!;
  const primaryLock = lab.databases.get(pair.primary.database.database)!.lock;
  const secondaryLock = lab.databases.get(pair.secondary.database.database)!.lock;
  const primary = lab.host(pairId, 'primary');
  if (kind === 'host-crash') await primary.crash();
  else await primary.crashService();
  // Neither a crash nor a killed process releases the lock: its row keeps the last heartbeat written.
  const lastBeat = primaryLock.row?.heartbeatUtc;
  if (!lastBeat || primaryLock.owner !== pair.primary.hostName) throw new Error(`${pairId}: the Primary did not own its lock when it was broken`);

  const owned = until(
    () => secondaryLock.row,
    (row) => row?.owner?.toLowerCase() === pair.secondary.hostName.toLowerCase(),
    LOCK_POLL_MS,
  );
  owned.catch(() => undefined); // awaited below; a failover that never ends reports first
  const finished = await until(() => api<FailoverStatusView>(`/failovers/failover-${pairId}`), (r) => r.status === 200 && !r.body.running, API_POLL_MS);
  const result = finished.body.result;
  if (!result) throw new Error(`${pairId}: the failover ended ${finished.body.runtimeStatus} without a result (${finished.body.failure ?? ''})`);
  if (result.outcome !== 'completed') throw new Error(`${pairId}: the failover ended ${result.outcome} ${result.code}: ${result.detail}`);
  const ownedRow = await owned;
  return {
    pairId,
    strategy: pair.strategy,
    code: result.code,
    detectionMs: Date.parse(finished.body.createdAt) - lastBeat.getTime(),
    rtoMs: ownedRow!.heartbeatUtc!.getTime() - lastBeat.getTime(),
    restoreMs: Math.round((result.timings.stepSeconds.restore ?? 0) * 1000),
  };
}

function withoutRestartsInPlace(pair: unknown): unknown {
  const p = pair as { failover?: Record<string, unknown> };
  return { ...p, failover: { ...p.failover, maxRestartsInPlace: 0 } };
}

async function until<T>(read: () => T | Promise<T>, holds: (value: T) => boolean, everyMs: number): Promise<T> {
  const bound = Date.now() + WAIT_BOUND_MS;
  for (;;) {
    const value = await read();
    if (holds(value)) return value;
    if (Date.now() > bound) throw new Error(`gave up after ${WAIT_BOUND_MS / 1000} s; last seen: ${JSON.stringify(value)?.slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
