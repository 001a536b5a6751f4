import { FailoverWorld, type WorldOptions } from './failoverWorld';

/** A factory of worlds for a test file: every world a test creates is disposed after that test. */
export function worldsPerTest(): (options?: WorldOptions) => Promise<FailoverWorld> {
  const worlds: FailoverWorld[] = [];
  afterEach(async () => {
    await Promise.all(worlds.splice(0).map((w) => w.dispose()));
  });
  return async (options = {}) => {
    const w = await FailoverWorld.create(options);
    worlds.push(w);
    return w;
  };
}
