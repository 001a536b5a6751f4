import { z } from 'zod';

/**
 * What people and the runbook set for a pair, kept in the state record `pairs/<id>/control`
 * (ETag-conditional writes): maintenance mode, the restarts in place ordered, the last
 * failover (for the cool-down) and the last automatic trigger (so one condition starts at most
 * one automatic failover, however often the monitor runs).
 */
export const pairControlSchema = z
  .object({
    version: z.literal(1),
    maintenance: z
      .object({
        by: z.string().min(1).max(256),
        reason: z.string().min(1).max(1000),
        since: z.string(),
        /** Maintenance ends by itself at this time; absent: until switched off. */
        until: z.string().optional(),
      })
      .strict()
      .optional(),
    /** Times the watchdog ordered the Primary's service restarted in place (newest last, bounded). */
    restartsInPlace: z.array(z.string()).max(50).default([]),
    lastFailover: z
      .object({
        instanceId: z.string(),
        completedAt: z.string(),
        acknowledgedBy: z.string().optional(),
        acknowledgedAt: z.string().optional(),
      })
      .strict()
      .optional(),
    lastAutomaticTrigger: z
      .object({
        /** The heartbeat condition's start: the same condition never triggers twice. */
        conditionSince: z.string(),
        instanceId: z.string(),
        at: z.string(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type PairControl = z.infer<typeof pairControlSchema>;

export const EMPTY_PAIR_CONTROL: PairControl = Object.freeze({ version: 1, restartsInPlace: [] });

/** Maintenance is on when set and not past its `until`. */
export function maintenanceActive(control: PairControl | undefined, now: Date): boolean {
  const m = control?.maintenance;
  if (m === undefined) return false;
  return m.until === undefined || Date.parse(m.until) > now.getTime();
}
