import type { ChildProcess } from 'node:child_process';

/**
 * Ties a helper process (an emulator, a peer) to its owner: it is killed if the owner exits,
 * and `stop` asks it to end, waits, and kills it after a grace period. `stop` is idempotent.
 */
export function superviseChild(
  child: ChildProcess,
  options: { readonly graceMs: number; readonly askToStop?: () => void },
): { readonly exited: Promise<void>; stop(): Promise<void> } {
  // 'error' stands in for 'exit' when the child could not be spawned at all.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  // A crashed test runner must not leave a helper behind holding memory and a port.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  return {
    exited,
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          if (options.askToStop) options.askToStop();
          else child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), options.graceMs);
          await exited;
          clearTimeout(timer);
        }
        process.removeListener('exit', killOnExit);
      })();
      return stopping;
    },
  };
}
