import { createHash, randomBytes } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { backupBlobName, backupMetadata } from '../../shared/domain/backupContract';

/**
 * Puts backups straight into Blob storage under the backup contract, as the Primary agent's
 * shipper would have: the history a lab starts with, and backups for monitor tests. `body` gives
 * the file's content (the lab's own backups); random bytes otherwise.
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

  async ship(takenAt = new Date(), sizeBytes = this.sizeBytes, body: Buffer = randomBytes(sizeBytes)): Promise<string> {
    const sha256 = createHash('sha256').update(body).digest('hex');
    const name = backupBlobName(this.prefix, takenAt, this.sourceMachine);
    await this.container.getBlockBlobClient(name).uploadData(body, {
      metadata: backupMetadata({ pairId: this.pairId, sourceMachine: this.sourceMachine, takenAt, sizeBytes: body.length, sha256 }),
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
