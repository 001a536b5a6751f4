import { existsSync, readFileSync } from 'node:fs';

export const DEFAULT_ROUTE_PREFIX = 'api';

/** `extensions.http.routePrefix` from host.json, as the host reads it: `api` when absent, '' allowed. */
export function routePrefixOf(hostJsonFile: string): string {
  if (!existsSync(hostJsonFile)) return DEFAULT_ROUTE_PREFIX;
  const hostJson = JSON.parse(readFileSync(hostJsonFile, 'utf8')) as { extensions?: { http?: { routePrefix?: unknown } } };
  const prefix = hostJson.extensions?.http?.routePrefix;
  return typeof prefix === 'string' ? prefix : DEFAULT_ROUTE_PREFIX;
}
