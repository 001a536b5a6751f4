import { FailoverWorld, type Role, type WorldOptions } from './failoverWorld';
import type { RunVerdict } from './judgeRun';
import { SeededRandom } from './seededRandom';

/** How the run begins: what went wrong with the Primary, and who starts the failover. */
export type RunKind = 'host-lost' | 'host-lost-requested' | 'service-crashed' | 'service-hung' | 'requested';

/** Something that happens to the world at a time after the orchestration started. */
export interface PlannedFault {
  readonly atSeconds: number;
  readonly what: string;
  readonly act: (world: FailoverWorld) => unknown;
}

export interface RunPlan {
  readonly seed: number;
  readonly kind: RunKind;
  /** Seconds after the world's first minute at which the Primary's trouble begins (monitor checks are 30 s apart). */
  readonly lossAfterSeconds: number;
  /** For a person's request after a lost host: how long after the loss they ask. */
  readonly requestAfterSeconds: number;
  readonly options: WorldOptions;
  readonly faults: readonly PlannedFault[];
  /** One line per choice, printed with a failing seed. */
  readonly description: readonly string[];
}

export interface RunReport {
  readonly seed: number;
  readonly plan: RunPlan;
  readonly verdict: RunVerdict;
  readonly outcome: string;
  readonly virtualSeconds: number;
}

/** The longest a run may take in virtual time before it counts as a run that never ends. */
const MAX_RUN_SECONDS = 24 * 3600;

/**
 * Draws a world and its faults from a seed: the strategy and pacing of the pair, the state of the
 * Primary when the failover starts, the Service Bus's faults (lost, duplicated, delayed and
 * reordered replies and commands), activities failing now and then, agents crashing and coming
 * back, hosts lost, the Functions host restarting, restores and starts failing, and people
 * answering the gate late, never, with a rejection, or cancelling.
 */
export function planRun(seed: number): RunPlan {
  const r = new SeededRandom(seed);
  const d: string[] = [];
  const note = <T>(what: string, value: T): T => {
    d.push(`${what}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
    return value;
  };
  const kind = note('kind', r.pick<RunKind>(['host-lost', 'host-lost-requested', 'service-crashed', 'service-hung', 'requested', 'requested']));
  const lossAfterSeconds = note('seconds into the world the trouble starts', r.int(0, 60));
  const requestAfterSeconds = note('a person asks after (s)', r.int(1, 90));
  const strategy = note('strategy', r.pick(['shared', 'copied'] as const));
  const staleThresholdSeconds = note('takeover delay', r.pick([60, 120, 300]));
  const options: WorldOptions = {
    strategy,
    random: r.fork(),
    policy: note('policy', { staleThresholdSeconds, consecutiveStaleChecks: r.int(1, 3), automaticFailover: r.chance(0.75) }),
    failover: note('failover settings', {
      approvalTimeoutSeconds: r.pick([300, 900, 1800]),
      stopTimeoutSeconds: r.pick([5, 20, 60, 120]),
      startTimeoutSeconds: r.pick([30, 60, 120]),
      restoreTimeoutSeconds: r.pick([600, 1800]),
      replyGraceSeconds: r.pick([1, 10, 30, 60]),
      commandAttempts: r.int(1, 3),
      verifyTimeoutSeconds: r.pick([60, 300]),
      verifyPollSeconds: r.pick([10, 15]),
      twoPersonRule: r.chance(0.3),
    }),
    ...note('backups', { rpoBudgetMinutes: r.pick([60, 1440]), backupAgeMinutes: r.pick([30, 180]), noBackup: strategy === 'copied' && r.chance(0.05) }),
    service: note('service timing', { startMs: r.int(2, 40) * 1000, stopMs: r.int(1, 30) * 1000 }),
    ...note('restore timing', { downloadSeconds: r.int(1, 300), restoreSeconds: r.int(1, 300) }),
    network: note('network', {
      replyLoss: r.pick([0, 0, 0.05, 0.2, 0.4]),
      replyDuplicate: r.pick([0, 0.1, 0.3]),
      replyDelayMaxSeconds: r.pick([1, 5, 30]),
      replyLongDelay: r.pick([0, 0.05, 0.2]),
      replyLongDelayMaxSeconds: r.pick([120, 900]),
      commandDelayMaxSeconds: r.pick([1, 5, 20, 60]),
      commandDuplicate: r.pick([0, 0.2]),
    }),
    activityFaults: note('activity faults', { failure: r.pick([0, 0.1, 0.3]), afterEffect: 0.5, maxConsecutive: 2 }),
    fenceReadFailure: note('fence read failures', r.pick([0, 0, 0.1])),
    control: kind === 'service-crashed' ? { restartsInPlace: [] } : {},
  };

  const faults: PlannedFault[] = [];
  const fault = (atSeconds: number, what: string, act: (world: FailoverWorld) => unknown): void => {
    faults.push({ atSeconds, what, act });
    d.push(`at +${atSeconds} s: ${what}`);
  };
  const soon = (): number => r.int(0, 1800);
  const role = (): Role => r.pick(['primary', 'secondary'] as const);
  if (r.chance(0.3)) {
    const which = role();
    const at = soon();
    fault(at, `${which} agent crashes`, (w) => w.crashAgent(which));
    if (r.chance(0.6)) fault(at + r.int(5, 900), `${which} agent restarts`, (w) => w.restartAgent(which));
  }
  if (r.chance(0.12)) fault(soon(), 'Primary host lost', (w) => w.loseHost('primary'));
  if (r.chance(0.12)) fault(soon(), "Primary's adTempus crashes", (w) => w.crashService('primary'));
  if (r.chance(0.1)) fault(soon(), "Primary's adTempus hangs", (w) => w.hangService('primary'));
  if (r.chance(0.2)) fault(soon(), 'the Functions host restarts', (w) => w.restartHost());
  if (r.chance(0.15)) {
    const n = r.int(1, 3);
    fault(0, `the Secondary's next ${n} start(s) fail`, (w) => (w.services.secondary.failingStarts = n));
  }
  if (strategy === 'copied' && r.chance(0.2)) {
    const n = r.int(1, 3);
    fault(0, `${n} download(s) fail their checksum`, (w) => (w.backups.faults.checksumMismatches = n));
  }
  if (strategy === 'copied' && r.chance(0.1)) fault(0, 'the restore fails', (w) => (w.backups.faults.restoreFailures = 1));
  // People: an answer at the gate (or none), sometimes two, sometimes a cancel.
  if (kind === 'host-lost-requested') fault(r.int(0, 120), 'a person approves at once', (w) => w.approve());
  const answers = r.int(0, 2);
  for (let i = 0; i < answers; i++) {
    const at = r.int(0, 2400);
    const answer = r.pick(['approve', 'approve', 'reject', 'approve-by-requester'] as const);
    fault(at, `a person answers the gate: ${answer}`, (w) =>
      answer === 'reject' ? w.reject() : answer === 'approve' ? w.approve() : w.approve('alice@example.com'),
    );
  }
  if (r.chance(0.12)) fault(r.int(0, 1200), 'a person cancels', (w) => w.cancel());
  return { seed, kind, lossAfterSeconds, requestAfterSeconds, options, faults, description: d };
}

/** Runs one seed from an empty world to the orchestration's end and judges it. */
export async function runSeed(seed: number): Promise<RunReport> {
  const plan = planRun(seed);
  const world = await FailoverWorld.create(plan.options);
  try {
    const started = world.clock.now().getTime();
    await world.runFor(60 + plan.lossAfterSeconds);
    const recent = new Date(world.clock.now().getTime() - 120_000).toISOString();
    switch (plan.kind) {
      case 'host-lost':
      case 'host-lost-requested':
        world.loseHost('primary');
        break;
      case 'service-crashed':
        world.setControl({ restartsInPlace: [recent, recent, recent, recent, recent] });
        world.crashService('primary');
        break;
      case 'service-hung':
        world.hangService('primary');
        break;
      case 'requested':
        break;
    }
    if (plan.kind === 'requested' || plan.kind === 'host-lost-requested') {
      await world.runFor(plan.kind === 'requested' ? 30 : plan.requestAfterSeconds);
      await world.requestFailover();
    } else {
      // The heartbeat monitor starts the orchestration once the policy says so (or, if it never does, a person asks).
      const decision = await world.runUntilFailoverDecided(1800);
      if (decision.action === 'failover') await world.startFailover({ detectedAt: new Date(started + 60_000).toISOString() });
      else await world.requestFailover('alice@example.com', `the monitor decided ${decision.action} (${decision.reason}); a person asks anyway`);
    }
    for (const f of plan.faults) world.at(f.atSeconds, () => f.act(world));
    const finished = await world.runToEnd(MAX_RUN_SECONDS);
    const verdict = await world.verdict();
    const violations = finished ? verdict.violations : [...verdict.violations, `the run did not end within ${MAX_RUN_SECONDS} s of virtual time`];
    return {
      seed,
      plan,
      verdict: { ...verdict, violations },
      outcome: verdict.output ? `${verdict.output.outcome} ${verdict.output.code}` : verdict.runtimeStatus,
      virtualSeconds: (world.clock.now().getTime() - started) / 1000,
    };
  } finally {
    await world.dispose();
  }
}
