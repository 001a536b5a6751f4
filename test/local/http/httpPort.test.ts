import { ConfigError } from '../../../shared/domain/errors';
import { httpPortOf } from '../../../local/http/httpPort';

describe('httpPortOf', () => {
  it.each([
    { setting: undefined, port: 7071 },
    { setting: '', port: 7071 },
    { setting: '8080', port: 8080 },
    { setting: ' 0 ', port: 0 },
  ])('reads WATCHDOG_HTTP_PORT=$setting as port $port', ({ setting, port }) => {
    expect(httpPortOf({ WATCHDOG_HTTP_PORT: setting })).toBe(port);
  });

  it.each(['http', '-1', '65536', '80.5'])('refuses %s at start-up, naming the setting', (setting) => {
    expect(() => httpPortOf({ WATCHDOG_HTTP_PORT: setting })).toThrow(ConfigError);
    expect(() => httpPortOf({ WATCHDOG_HTTP_PORT: setting })).toThrow(/WATCHDOG_HTTP_PORT/);
  });
});
