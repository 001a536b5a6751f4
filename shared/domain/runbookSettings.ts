import { z } from 'zod';

/**
 * The recovery settings the decision needs beyond the pair's monitor policy. Defaults:
 * - maxRestartsInPlace 3 within restartWindowSeconds 900 (3 restarts in 15 minutes);
 * - coolDownSeconds 21600 (6 h, the period Windows failover clustering counts group failovers
 *   over): after a failover, another one waits for a person until acknowledged or elapsed.
 */
export const failoverPolicySettingsSchema = z
  .object({
    maxRestartsInPlace: z.number().int().min(0).max(20).default(3),
    restartWindowSeconds: z.number().int().min(60).max(86_400).default(900),
    coolDownSeconds: z.number().int().min(0).max(7 * 86_400).default(21_600),
  })
  .strict();

export type FailoverPolicySettings = z.infer<typeof failoverPolicySettingsSchema>;

export const DEFAULT_FAILOVER_POLICY_SETTINGS: FailoverPolicySettings = Object.freeze(failoverPolicySettingsSchema.parse({}));

/**
 * How the failover runbook paces itself, per pair. Defaults suit adTempus's 5-minute takeover
 * delay; every bound is a bound on waiting, never a reason to skip a safety step.
 * - approvalTimeoutSeconds: how long the gate waits for a person before the failover is aborted.
 * - stopTimeoutSeconds / startTimeoutSeconds: the agent's bound for stopping or starting adTempus.
 * - restoreTimeoutSeconds: the agent's bound for downloading, verifying and restoring a backup.
 * - replyGraceSeconds: time on top of a command's own bound for its reply to travel back.
 * - commandAttempts: how often a command that got no reply is sent again (each with a new id).
 * - verifyTimeoutSeconds / verifyPollSeconds: how long and how often verify reads the new owner's heartbeat.
 * - twoPersonRule: the approver of a failover must be a different person from its requester.
 */
export const runbookSettingsSchema = z
  .object({
    approvalTimeoutSeconds: z.number().int().min(60).max(7 * 86_400).default(3600),
    stopTimeoutSeconds: z.number().int().min(5).max(3600).default(120),
    startTimeoutSeconds: z.number().int().min(5).max(3600).default(180),
    restoreTimeoutSeconds: z.number().int().min(60).max(86_400).default(7200),
    replyGraceSeconds: z.number().int().min(1).max(600).default(30),
    commandAttempts: z.number().int().min(1).max(10).default(3),
    verifyTimeoutSeconds: z.number().int().min(10).max(3600).default(300),
    verifyPollSeconds: z.number().int().min(1).max(300).default(10),
    twoPersonRule: z.boolean().default(false),
  })
  .strict();

/** Everything a pair's `failover` block can hold: the decision settings and the runbook's pacing. */
export const failoverSettingsSchema = failoverPolicySettingsSchema.extend(runbookSettingsSchema.shape).strict();

export type RunbookSettings = z.infer<typeof runbookSettingsSchema>;
export type FailoverSettings = z.infer<typeof failoverSettingsSchema>;

export const DEFAULT_FAILOVER_SETTINGS: FailoverSettings = Object.freeze(failoverSettingsSchema.parse({}));
