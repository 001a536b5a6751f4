import type { HeartbeatReading } from '../domain/heartbeatReading';

/** Reads the adTempus ownership lock of one pair's active database. Never throws for expected failures. */
export interface HeartbeatSource {
  read(pairId: string): Promise<HeartbeatReading>;
  close(): Promise<void>;
}
