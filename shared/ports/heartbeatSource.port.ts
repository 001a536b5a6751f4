import type { HeartbeatReading } from '../domain/heartbeatReading';

export type Side = 'primary' | 'secondary';

/**
 * Reads the adTempus ownership lock from one side's database of a pair (with a shared database
 * both sides name the same one). Expected failures come back as values, never as exceptions.
 */
export interface HeartbeatSource {
  read(pairId: string, side?: Side): Promise<HeartbeatReading>;
  close(): Promise<void>;
}
