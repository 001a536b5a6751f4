import { app } from '@azure/functions';
import { getRegistration } from '../../local/functionsCore';

describe('functions-core stand-in', () => {
  it('captures a timer registration with its schedule and handler', async () => {
    app.timer('probeTimer', { schedule: '*/5 * * * * *', handler: async () => 'ran' });
    const reg = getRegistration('probeTimer');
    const trigger = Object.values(reg.metadata.bindings).find((b) => b.direction === 'in');
    expect(trigger).toMatchObject({ type: 'timerTrigger', schedule: '*/5 * * * * *' });
    await expect(Promise.resolve(reg.handler())).resolves.toBe('ran');
  });
});
