import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routePrefixOf } from '../../../local/http/routePrefix';

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'route-prefix-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('routePrefixOf', () => {
  it.each([
    { hostJson: { version: '2.0' }, prefix: 'api' },
    { hostJson: { version: '2.0', extensions: { http: { routePrefix: 'watchdog' } } }, prefix: 'watchdog' },
    { hostJson: { version: '2.0', extensions: { http: { routePrefix: '' } } }, prefix: '' },
  ])('reads $prefix from host.json $hostJson', async ({ hostJson, prefix }) => {
    const file = join(directory, `host-${prefix || 'none'}.json`);
    await writeFile(file, JSON.stringify(hostJson));

    expect(routePrefixOf(file)).toBe(prefix);
  });

  it('uses api without a host.json, and the project host.json keeps it', () => {
    expect(routePrefixOf(join(directory, 'missing.json'))).toBe('api');
    expect(routePrefixOf(join(__dirname, '../../../host.json'))).toBe('api');
  });
});
