import type { FunctionRegistration } from '../functionsCore';
import { byPrecedence, compileRoute, type RouteTemplate } from './routeTemplate';

/** One app.http registration as the local host serves it. */
export interface HttpRoute {
  readonly functionName: string;
  readonly methods: readonly string[];
  readonly authLevel: string;
  readonly route: RouteTemplate;
  readonly registration: FunctionRegistration;
}

/**
 * Every httpTrigger registration, most specific route first. The library always declares the
 * methods (GET and POST when none are given) and the auth level (anonymous by default).
 */
export function httpRoutesOf(registrations: Iterable<FunctionRegistration>, routePrefix: string): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const registration of registrations) {
    const trigger = Object.values(registration.metadata.bindings).find((b) => b.type === 'httpTrigger');
    if (!trigger) continue;
    const template = typeof trigger['route'] === 'string' && trigger['route'] !== '' ? trigger['route'] : registration.name;
    const methods = Array.isArray(trigger['methods']) ? trigger['methods'].map((m) => String(m).toUpperCase()) : ['GET', 'POST'];
    const authLevel = typeof trigger['authLevel'] === 'string' ? trigger['authLevel'] : 'anonymous';
    routes.push({ functionName: registration.name, methods, authLevel, route: compileRoute(template, routePrefix), registration });
  }
  // A stable sort keeps registration order between routes of equal precedence.
  return routes.sort((a, b) => byPrecedence(a.route, b.route));
}
