import { createHash, randomBytes } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { backupBlobName, backupMetadata } from '../../shared/domain/backupContract';

/**
 * Stands in for the Primary agent's backup shipper: writes a small backup under the pair's
 * prefix following the backup contract, on a schedule, until paused.
 */
export class BackupProducer {
  #timer: NodeJS.Timeout | undefined;
  paused = false;
  shipped = 0;

  constructor(
    private readonly container: ContainerClient,
    readonly pairId: string,
    private readonly prefix: string,
    private readonly sourceMachine: string,
    private readonly sizeBytes = 64 * 1024,
  ) {}

  async ship(takenAt = new Date(), sizeBytes = this.sizeBytes): Promise<string> {
    const body = randomBytes(sizeBytes);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const name = backupBlobName(this.prefix, takenAt, this.sourceMachine);
    await this.container.getBlockBlobClient(name).uploadData(body, {
      metadata: backupMetadata({ pairId: this.pairId, sourceMachine: this.sourceMachine, takenAt, sizeBytes, sha256 }),
    });
    this.shipped += 1;
    return name;
  }

  every(intervalMs: number, onError: (error: unknown) => void): void {
    clearInterval(this.#timer);
    this.#timer = setInterval(() => {
      if (!this.paused) this.ship().catch(onError);
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
