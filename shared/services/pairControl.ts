import { WatchdogError } from '../domain/errors';
import { EMPTY_PAIR_CONTROL, pairControlSchema, type PairControl } from '../domain/pairControl';
import type { StateStore } from '../ports/stateStore.port';
import { stateKeys } from './stateKeys';
import { updateRecord } from './updateRecord';

/**
 * What people and the watchdog change in a pair's control record (`pairs/<id>/control`): every
 * change is a read-modify-write under the record's ETag, so a person switching maintenance on
 * and the monitor recording a restart never lose each other's write. Expected outcomes (nothing
 * to acknowledge, bad input) are values; a record that does not parse is a fault for a person.
 */

/**
 * Restart times kept: the most `maxRestartsInPlace` allows (20), so the budget always sees every
 * restart it could count, and the record stays small however long a pair lives.
 */
export const RESTARTS_KEPT = 20;

export interface MaintenanceRequest {
  readonly by: string;
  readonly reason: string;
  /** Maintenance ends by itself then (ISO 8601); absent: until switched off. */
  readonly until?: string;
}

export type SetMaintenanceOutcome =
  | { readonly kind: 'set'; readonly control: PairControl }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

export type ClearMaintenanceOutcome =
  | { readonly kind: 'cleared'; readonly by: string; readonly previous: NonNullable<PairControl['maintenance']>; readonly control: PairControl }
  | { readonly kind: 'not-in-maintenance' };

export type AcknowledgeOutcome =
  | { readonly kind: 'acknowledged'; readonly lastFailover: NonNullable<PairControl['lastFailover']> }
  /** Acknowledging twice changes nothing: the first acknowledgement stands. */
  | { readonly kind: 'already-acknowledged'; readonly lastFailover: NonNullable<PairControl['lastFailover']> }
  | { readonly kind: 'nothing-to-acknowledge' };

export async function setMaintenance(state: StateStore, pairId: string, request: MaintenanceRequest, now: Date): Promise<SetMaintenanceOutcome> {
  const problems = maintenanceProblems(request, now);
  if (problems.length > 0) return { kind: 'invalid', problems };
  const maintenance = { by: request.by, reason: request.reason, since: now.toISOString(), ...(request.until !== undefined ? { until: new Date(request.until).toISOString() } : {}) };
  return { kind: 'set', control: await updateControl(state, pairId, (current) => ({ ...current, maintenance })) };
}

/** `by` is returned for the caller's audit line: the record keeps only who switched maintenance on. */
export async function clearMaintenance(state: StateStore, pairId: string, by: string): Promise<ClearMaintenanceOutcome> {
  let previous: PairControl['maintenance'];
  const control = await updateControl(state, pairId, (current) => {
    previous = current.maintenance;
    if (previous === undefined) return undefined;
    const { maintenance: _dropped, ...rest } = current;
    return rest;
  });
  return previous === undefined ? { kind: 'not-in-maintenance' } : { kind: 'cleared', by, previous, control };
}

/** Ends the cool-down after the last failover early: the next automatic failover needs no approval for it. */
export async function acknowledgeFailover(state: StateStore, pairId: string, by: string, now: Date): Promise<AcknowledgeOutcome> {
  let outcome: AcknowledgeOutcome = { kind: 'nothing-to-acknowledge' };
  await updateControl(state, pairId, (current) => {
    const last = current.lastFailover;
    if (last === undefined) {
      outcome = { kind: 'nothing-to-acknowledge' };
      return undefined;
    }
    if (last.acknowledgedAt !== undefined) {
      outcome = { kind: 'already-acknowledged', lastFailover: last };
      return undefined;
    }
    const lastFailover = { ...last, acknowledgedBy: by, acknowledgedAt: now.toISOString() };
    outcome = { kind: 'acknowledged', lastFailover };
    return { ...current, lastFailover };
  });
  return outcome;
}

/** Counts a restart in place before it is ordered, so no crash can order more restarts than the bound allows. */
export async function recordRestartInPlace(state: StateStore, pairId: string, at: Date): Promise<PairControl> {
  const iso = at.toISOString();
  return updateControl(state, pairId, (current) => ({ ...current, restartsInPlace: newestLast([...current.restartsInPlace, iso]).slice(-RESTARTS_KEPT) }));
}

/** Takes back a restart whose command was never sent, so the next pass may order it again. */
export async function forgetRestartInPlace(state: StateStore, pairId: string, at: Date): Promise<void> {
  const iso = at.toISOString();
  await updateControl(state, pairId, (current) => {
    const index = current.restartsInPlace.lastIndexOf(iso);
    if (index < 0) return undefined;
    return { ...current, restartsInPlace: current.restartsInPlace.filter((_, i) => i !== index) };
  });
}

/** One heartbeat condition (from `conditionSince`) starts at most one automatic failover. */
export async function recordAutomaticTrigger(state: StateStore, pairId: string, conditionSince: string, instanceId: string, at: Date): Promise<PairControl> {
  const lastAutomaticTrigger = { conditionSince, instanceId, at: at.toISOString() };
  return updateControl(state, pairId, (current) => ({ ...current, lastAutomaticTrigger }));
}

/** The record after `change` (undefined = leave it as it is), validated before it is written. */
async function updateControl(state: StateStore, pairId: string, change: (current: PairControl) => PairControl | undefined): Promise<PairControl> {
  let result: PairControl = EMPTY_PAIR_CONTROL;
  await updateRecord<unknown>(state, stateKeys.control(pairId), (stored) => {
    const current = stored === undefined ? EMPTY_PAIR_CONTROL : parseControl(stored, pairId);
    const next = change(current);
    result = next === undefined ? current : pairControlSchema.parse(next);
    return next === undefined ? undefined : result;
  });
  return result;
}

function parseControl(value: unknown, pairId: string): PairControl {
  const parsed = pairControlSchema.safeParse(value);
  // The same refusal as readPairControl: a record nobody can read must not be silently replaced.
  if (!parsed.success) throw new WatchdogError('CONTROL_RECORD_INVALID', `The control record of pair ${pairId} does not parse; fix or remove it by hand`, { pairId });
  return parsed.data;
}

function maintenanceProblems(request: MaintenanceRequest, now: Date): string[] {
  const problems: string[] = [];
  if (request.by.trim() === '' || request.by.length > 256) problems.push('by: must be 1 to 256 characters');
  if (request.reason.trim() === '' || request.reason.length > 1000) problems.push('reason: must be 1 to 1000 characters');
  if (request.until !== undefined) {
    const until = Date.parse(request.until);
    if (Number.isNaN(until)) problems.push('until: must be an ISO 8601 time');
    else if (until <= now.getTime()) problems.push('until: must be in the future');
  }
  return problems;
}

/** Oldest first by time; a time that does not parse sorts first, so it is the first dropped. */
function newestLast(times: readonly string[]): string[] {
  return [...times].sort((a, b) => (Date.parse(a) || 0) - (Date.parse(b) || 0));
}
