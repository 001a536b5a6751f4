import type { LabHost, LabSide } from './labHost';
import { LIVE_VIEW_PAGE } from './liveViewPage';
import { forwardApiGet, type LabReply } from './liveViewProxy';
import { sentNotifications } from './sentNotifications';
import type { LabPair } from './labSettings';
import type { Lab } from './startLab';

export interface RouteParams {
  readonly id?: string;
  readonly side?: LabSide;
  /** The rest of the path after `/lab/api/`. */
  readonly path?: string;
}

/** What a route may use besides the lab: the watchdog API's base URL, when the control knows it. */
export interface LabRouteContext {
  readonly lab: Lab;
  readonly apiUrl?: string;
}

export type LabRoute =
  | { readonly method: 'GET'; readonly path: string; readonly does: string; answer(lab: Lab): unknown }
  /** Answers with its own status, content type and body (not the lab's JSON). */
  | { readonly method: 'GET'; readonly path: string; readonly does: string; reply(context: LabRouteContext, params: RouteParams): LabReply | Promise<LabReply> }
  /** Answers with a sentence saying what happened. */
  | { readonly method: 'POST'; readonly path: string; readonly does: string; act(lab: Lab, params: RouteParams): string | Promise<string> };

/** A path that names no pair of the lab: 404. */
export class UnknownLabTarget extends Error {}

function pairOf(lab: Lab, params: RouteParams): LabPair {
  const pair = lab.pairs.find((p) => p.id === params.id);
  if (!pair) throw new UnknownLabTarget(`no pair "${params.id ?? ''}" in the lab`);
  return pair;
}

/** The pair for `{id}`, the side and its host for `{side}`. */
function target(lab: Lab, params: RouteParams): { pair: LabPair; side: LabSide; host: LabHost } {
  const pair = pairOf(lab, params);
  const side = params.side ?? 'primary';
  return { pair, side, host: lab.host(pair.id, side) };
}

const databasesOf = (lab: Lab, pair: LabPair) => [...new Set([pair.primary.database.database, pair.secondary.database.database])].map((n) => lab.databases.get(n)!);
const databaseOf = (lab: Lab, params: RouteParams) => {
  const t = target(lab, params);
  return lab.databases.get(t.pair[t.side].database.database)!;
};

/**
 * The lab control routes: README's lab section lists exactly these (a test compares them).
 * `{id}` is a pair id, `{side}` is `primary` or `secondary`.
 */
export const LAB_ROUTES: readonly LabRoute[] = [
  { method: 'GET', path: '/lab', does: 'pairs, hosts (power, agent, fence, adTempus), locks with their heartbeat age, backups', answer: (lab) => lab.state() },
  { method: 'GET', path: '/lab/notifications', does: 'the Teams posts and emails the sinks received', answer: (lab) => sentNotifications(lab) },
  {
    method: 'GET',
    path: '/lab/view',
    does: "a live view for a browser, refreshed every 2 s: per pair the watchdog's heartbeat state and age, backup age, active side and epoch, the hosts and locks, and the running failover's steps",
    reply: () => ({ status: 200, contentType: 'text/html; charset=utf-8', body: LIVE_VIEW_PAGE }),
  },
  {
    method: 'GET',
    path: '/lab/api/{path}',
    does: "the watchdog API's answer to `GET <api>/{path}` passed through (e.g. `/lab/api/pairs`), so the live view reads it from the lab control's origin; GET only",
    reply: (context, p) => forwardApiGet(context.apiUrl, p.path!),
  },
  {
    method: 'POST',
    path: '/lab/pairs/{id}/{side}/crash',
    does: 'the host dies: adTempus and its agent are gone at once; the lock keeps its last heartbeat',
    act: (lab, p) => target(lab, p).host.crash(),
  },
  {
    method: 'POST',
    path: '/lab/pairs/{id}/{side}/hang',
    does: 'adTempus hangs: no heartbeat, backup or lock release (it cannot stop cleanly); its agent still answers',
    act: (lab, p) => target(lab, p).host.hang(),
  },
  {
    method: 'POST',
    path: '/lab/pairs/{id}/{side}/stop',
    does: 'adTempus is stopped cleanly outside the agent (services console): it releases the lock',
    act: (lab, p) => target(lab, p).host.stopService(),
  },
  {
    method: 'POST',
    path: '/lab/pairs/{id}/{side}/crash-service',
    does: "adTempus's process dies; the host and its agent stay up",
    act: (lab, p) => target(lab, p).host.crashService(),
  },
  {
    method: 'POST',
    path: '/lab/pairs/{id}/{side}/start',
    does:
      'bring it back: a crashed host boots (its agent first, which keeps adTempus stopped and Disabled if the fence names the other host; ' +
      'then adTempus if its startup is Automatic), a hung adTempus resumes, a stopped one is started',
    act: (lab, p) => target(lab, p).host.bringBack(),
  },
  {
    method: 'POST',
    path: '/lab/pairs/{id}/{side}/database/cut',
    does: "the watchdog's queries to that side's database hang (adTempus still reaches it)",
    act: (lab, p) => {
      const database = databaseOf(lab, p);
      database.setCut(true);
      return `the watchdog is cut off from ${database.name}`;
    },
  },
  {
    method: 'POST',
    path: '/lab/pairs/{id}/{side}/database/reconnect',
    does: 'the watchdog reaches that database again',
    act: (lab, p) => {
      const database = databaseOf(lab, p);
      database.setCut(false);
      return `the watchdog reaches ${database.name} again`;
    },
  },
  {
    method: 'POST',
    path: '/lab/pairs/{id}/backups/pause',
    does: "no more backups of the pair's databases (they go stale)",
    act: (lab, p) => {
      const pair = pairOf(lab, p);
      for (const d of databasesOf(lab, pair)) d.backupsPaused = true;
      return `backups of ${pair.id} are paused`;
    },
  },
  {
    method: 'POST',
    path: '/lab/pairs/{id}/backups/resume',
    does: 'backups run again',
    act: (lab, p) => {
      const pair = pairOf(lab, p);
      for (const d of databasesOf(lab, pair)) d.backupsPaused = false;
      return `backups of ${pair.id} run again`;
    },
  },
  {
    method: 'POST',
    path: '/lab/sql/cut',
    does: 'every query to the main SQL Server hangs (both pairs)',
    act: (lab) => {
      lab.sql.main.hang(true);
      return 'the main SQL Server no longer answers';
    },
  },
  {
    method: 'POST',
    path: '/lab/sql/restore',
    does: 'the main SQL Server answers again',
    act: (lab) => {
      lab.sql.main.hang(false);
      return 'the main SQL Server answers again';
    },
  },
];

export type RouteMatch = { readonly route: LabRoute; readonly params: RouteParams };

/** Path segments of the API: none starts with a dot, so `..` cannot climb out of the API's base. */
const API_PATH = '(?<path>[A-Za-z0-9_~-][A-Za-z0-9._~-]*(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*)';

/** The route a request names, with its path parameters. */
export function matchLabRoute(method: string, path: string): RouteMatch | undefined {
  for (const route of LAB_ROUTES) {
    if (route.method !== method) continue;
    const pattern = route.path.replace('{id}', '(?<id>[a-z0-9-]+)').replace('{side}', '(?<side>primary|secondary)').replace('{path}', API_PATH);
    const m = new RegExp(`^${pattern}$`).exec(path);
    if (!m) continue;
    const groups = m.groups ?? {};
    return {
      route,
      params: {
        ...(groups['id'] !== undefined ? { id: groups['id'] } : {}),
        ...(groups['side'] !== undefined ? { side: groups['side'] as LabSide } : {}),
        ...(groups['path'] !== undefined ? { path: groups['path'] } : {}),
      },
    };
  }
  return undefined;
}

/** The methods some route serves at this path (for a 405's `Allow`). */
export function labMethodsAt(path: string): readonly LabRoute['method'][] {
  return (['GET', 'POST'] as const).filter((method) => matchLabRoute(method, path) !== undefined);
}
