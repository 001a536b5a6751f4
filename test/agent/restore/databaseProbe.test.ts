import { createDatabaseProbe } from '../../../agent/restore/databaseProbe';
import { DEFAULT_LOGIN, TdsPeer, sessionChatter } from '../../support/tdsPeer';
import { closedPort } from '../../support/closedPort';

let peer: TdsPeer;

beforeAll(async () => {
  peer = await TdsPeer.start({ respond: (req) => sessionChatter(req) ?? (/select 1 as answers/i.test(req.sql) ? { columns: [{ name: 'answers', type: 'int' }], rows: [[1]] } : { error: { number: 208, message: 'Invalid object name' } }) });
});

afterAll(async () => {
  await peer.stop();
});

const connection = (password: string, port = peer.port) => ({ server: '127.0.0.1', port, user: DEFAULT_LOGIN.user, password, options: { encrypt: false } });


describe('the local database probe', () => {
  it('says the adTempus database answers when a query comes back', async () => {
    await expect(createDatabaseProbe(connection(DEFAULT_LOGIN.password), 'adTempus').check()).resolves.toEqual({ answers: true, detail: 'database adTempus answers' });
    expect(peer.requests.at(-1)).toMatchObject({ database: 'adTempus' });
  });

  it('says it does not answer after a refused login, naming the code and not the password', async () => {
    const result = await createDatabaseProbe(connection('Wrong-Secret-9'), 'adTempus').check();
    expect(result).toEqual({ answers: false, detail: 'database adTempus does not answer (ELOGIN)' });
  });

  it('says it does not answer when nothing listens', async () => {
    const result = await createDatabaseProbe(connection(DEFAULT_LOGIN.password, await closedPort()), 'adTempus', 2_000).check();
    expect(result.answers).toBe(false);
    expect(result.detail).toMatch(/^database adTempus does not answer \(ESOCKET\)$/);
  });
});
