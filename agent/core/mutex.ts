/**
 * One holder at a time, in arrival order. Guards the adTempus service: a stop, a start, a restore
 * and the fence guard's enforcement must never interleave (a start slipping between a restore's
 * "is it stopped?" and the restore itself would restore under a running adTempus).
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async runExclusive<T>(work: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}
