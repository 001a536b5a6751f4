import { ConfigError } from '../../shared/domain/errors';

export const HTTP_PORT_SETTING = 'WATCHDOG_HTTP_PORT';
/** The Functions host's (and Core Tools') default. */
export const DEFAULT_HTTP_PORT = 7071;

/** The local HTTP host's port: the setting, 7071 when unset, 0 for any free port. */
export function httpPortOf(settings: Readonly<Record<string, string | undefined>>): number {
  const text = settings[HTTP_PORT_SETTING]?.trim();
  if (text === undefined || text === '') return DEFAULT_HTTP_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new ConfigError([`${HTTP_PORT_SETTING}: must be a TCP port number from 0 to 65535 (0 picks a free port), not '${text}'`]);
  return port;
}
