import { z } from 'zod';

/**
 * The pair's fence record in the watchdog's state container (`pairs/<id>/fence.json`). Raising
 * the epoch (an ETag-conditional write) is the first act of a failover: from then on the agent
 * on the old side refuses every older command and keeps adTempus stopped and Disabled.
 * No record means epoch 0 with the Primary active: the Secondary is fenced until a record
 * names it, so it can never be started before the failover's fence write.
 */
export const fenceRecordSchema = z
  .object({
    pairId: z.string(),
    epoch: z.number().int().min(0),
    /** The host that may run adTempus; every other host of the pair is fenced. */
    activeHost: z.string().min(1),
    updatedAt: z.string(),
    reason: z.string().max(500),
    /** The failover instance that wrote this epoch (lets a retried fence write recognise its own). */
    failoverId: z.string().max(128).optional(),
  })
  .strict();

export type FenceRecord = z.infer<typeof fenceRecordSchema>;

export function fenceKey(pairId: string): string {
  return `pairs/${pairId}/fence`;
}

/** Is `host` fenced? The record's active host, or the pair's Primary when there is no record. Names compare case-insensitively. */
export function isFenced(record: FenceRecord | undefined, host: string, primaryHost: string): boolean {
  const active = record?.activeHost ?? primaryHost;
  return active.toLowerCase() !== host.toLowerCase();
}
