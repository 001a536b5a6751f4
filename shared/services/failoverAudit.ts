import { z } from 'zod';
import { FAILOVER_PHASES, type FailoverResult } from '../contracts/failoverContract';
import { WatchdogError } from '../domain/errors';
import { EMPTY_PAIR_CONTROL, pairControlSchema, type PairControl } from '../domain/pairControl';
import type { Logger } from '../ports/logger.port';
import type { StateStore } from '../ports/stateStore.port';
import { stateKeys } from './stateKeys';
import { updateRecord } from './updateRecord';

const isoTime = z.string().datetime({ offset: true, message: 'must be an ISO 8601 time' });
const phase = z.enum(FAILOVER_PHASES);
// A timing the runbook could not compute arrives as null (JSON has no NaN): kept as absent.
const optionalSeconds = z.number().nullish().transform((v) => v ?? undefined);

const stepSchema = z.looseObject({
  step: phase,
  startedAt: isoTime,
  endedAt: isoTime.optional(),
  outcome: z.enum(['running', 'done', 'skipped', 'failed']),
  detail: z.string(),
});

/**
 * A FailoverResult as it arrives from the durable history. Only the fields the record's key and
 * the cool-down are made of are held to exact forms (a state key must be safe to build from
 * them); the rest is checked for its shape, not its length, and extra fields are kept: an audit
 * record refused over a long sentence would be worse than a long audit record.
 */
export const failoverResultSchema = z.looseObject({
  pairId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be a pair id'),
  instanceId: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 letters, digits, ".", "_" or "-"'),
  outcome: z.enum(['completed', 'aborted', 'stalled']),
  code: z.string().min(1).max(128),
  detail: z.string(),
  trigger: z.enum(['automatic', 'requested']),
  requestedBy: z.string().optional(),
  approvedBy: z.string().optional(),
  startedAt: isoTime,
  endedAt: isoTime,
  steps: z.array(stepSchema),
  done: z.array(z.string()),
  left: z.array(z.string()),
  epoch: z.number().int().min(0).optional(),
  timings: z.looseObject({
    detectionSeconds: optionalSeconds,
    rtoSeconds: optionalSeconds,
    stepSeconds: z.partialRecord(phase, z.number()),
  }),
  dataLoss: z.looseObject({ from: z.string(), to: z.string().optional(), seconds: optionalSeconds, backupName: z.string() }).optional(),
});

export interface CloseFailoverDeps {
  readonly state: StateStore;
  readonly logger: Logger;
}

export interface CloseFailoverOutcome {
  /** False when a retry found the audit record already written. */
  readonly auditWritten: boolean;
  /** True when this call set the pair's last failover (a completed failover's cool-down). */
  readonly coolDownStarted: boolean;
}

/**
 * The runbook's close step (DESIGN.md, step 8): the result is kept as the failover's audit record
 * (create-only: a retry that finds it is done), and a completed failover becomes the pair's last
 * failover, which starts the cool-down. Both writes can be repeated any number of times.
 */
export async function closeFailover(deps: CloseFailoverDeps, result: FailoverResult): Promise<CloseFailoverOutcome> {
  const auditKey = stateKeys.failoverAudit(result.pairId, result.instanceId, result.startedAt);
  const written = await deps.state.write(auditKey, result, { absent: true });
  if (!written.ok) deps.logger.info('failover audit record already kept', { pair: result.pairId, instanceId: result.instanceId, key: auditKey });
  const coolDownStarted = result.outcome === 'completed' ? await startCoolDown(deps.state, result) : false;
  return { auditWritten: written.ok, coolDownStarted };
}

async function startCoolDown(state: StateStore, result: FailoverResult): Promise<boolean> {
  let started = false;
  await updateRecord<unknown>(state, stateKeys.control(result.pairId), (stored) => {
    started = false;
    const current = stored === undefined ? EMPTY_PAIR_CONTROL : parseControl(stored, result.pairId);
    const last = current.lastFailover;
    // A retry, or a late retry of an older failover's close: neither may replace what is there
    // (and a retry must keep an acknowledgement given meanwhile).
    if (last && Date.parse(last.completedAt) >= Date.parse(result.endedAt)) return undefined;
    started = true;
    const next: PairControl = { ...current, lastFailover: { instanceId: result.instanceId, completedAt: result.endedAt } };
    return next;
  });
  return started;
}

function parseControl(stored: unknown, pairId: string): PairControl {
  const parsed = pairControlSchema.safeParse(stored);
  if (!parsed.success) throw new WatchdogError('CONTROL_RECORD_INVALID', `The control record of pair ${pairId} does not parse; fix or remove it by hand`, { pairId });
  return parsed.data;
}
