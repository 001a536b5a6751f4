import { WatchdogError } from '../../shared/domain/errors';

export class RouteTemplateError extends WatchdogError {
  constructor(readonly template: string, problem: string) {
    super('ROUTE_TEMPLATE_UNSUPPORTED', `Route '${template}': ${problem}`, { template });
  }
}

/** A compiled route: which paths it serves and how specific it is. */
export interface RouteTemplate {
  /** The full template, prefix included (`api/pairs/{pairId}`). */
  readonly template: string;
  /** One digit per segment, lower is more specific; ASP.NET Core routing orders candidates this way. */
  readonly precedence: readonly number[];
  /** The route's parameter values (decoded) when `path` matches, else undefined. */
  match(path: string): Record<string, string> | undefined;
}

/** Inline constraints the local host understands; any other fails at start-up rather than matching too much. */
const CONSTRAINTS: Readonly<Record<string, string>> = {
  int: '-?\\d+',
  long: '-?\\d+',
  alpha: '[A-Za-z]+',
  bool: '(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])',
  guid: '\\{?[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}\\}?',
};

const RANK = { literal: 1, complex: 2, constrained: 2, parameter: 3, catchAll: 5 } as const;

interface Parameter {
  readonly name: string;
  readonly pattern: string;
  readonly optional: boolean;
  readonly catchAll: boolean;
}

/**
 * Compiles a Functions route template the way the host reads it: `{name}` parameters, `{name?}`
 * optional trailing ones, `{*rest}` catch-all, inline constraints (`{id:int}`), literal text
 * matched without regard to case, under the route prefix (`api` unless host.json changes it).
 * A function without a route is served at its name.
 */
export function compileRoute(route: string, prefix = 'api'): RouteTemplate {
  const template = [prefix, route].map(trimSlashes).filter((part) => part !== '').join('/');
  const names: string[] = [];
  const precedence: number[] = [];
  let source = '';
  let trailingOnly = false;
  const segments = template === '' ? [] : template.split('/');
  segments.forEach((segment, index) => {
    const whole = /^\{([^{}]+)\}$/.exec(segment);
    const separator = index === 0 ? '' : '/';
    if (whole) {
      const parameter = parseParameter(template, whole[1]!);
      names.push(parameter.name);
      if (parameter.catchAll && index !== segments.length - 1) throw new RouteTemplateError(template, `the catch-all {*${parameter.name}} must be the last segment`);
      if (parameter.optional || parameter.catchAll) {
        trailingOnly = true;
        source += `(?:${separator}(${parameter.pattern}))?`;
      } else {
        if (trailingOnly) throw new RouteTemplateError(template, 'an optional parameter may only be followed by optional parameters');
        source += `${separator}(${parameter.pattern})`;
      }
      precedence.push(parameter.catchAll ? RANK.catchAll : parameter.pattern === '[^/]+' ? RANK.parameter : RANK.constrained);
      return;
    }
    if (trailingOnly) throw new RouteTemplateError(template, 'an optional parameter may only be followed by optional parameters');
    if (segment === '') throw new RouteTemplateError(template, 'empty segment');
    source += separator + complexSegment(template, segment, names);
    precedence.push(segment.includes('{') ? RANK.complex : RANK.literal);
  });
  const pattern = new RegExp(`^${source}$`, 'i');
  return {
    template,
    precedence,
    match(path) {
      const found = pattern.exec(trimSlashes(path));
      if (!found) return undefined;
      const params: Record<string, string> = {};
      for (const [i, name] of names.entries()) {
        const raw = found[i + 1];
        if (raw === undefined) continue;
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          return undefined;
        }
      }
      return params;
    },
  };
}

/** Orders routes as the host tries them: more specific segments first, then the order given. */
export function byPrecedence(a: RouteTemplate, b: RouteTemplate): number {
  for (let i = 0; i < Math.max(a.precedence.length, b.precedence.length); i++) {
    const difference = (a.precedence[i] ?? 0) - (b.precedence[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function parseParameter(template: string, body: string): Parameter {
  let text = body.trim();
  const catchAll = text.startsWith('*');
  if (catchAll) text = text.replace(/^\*\*?/, '');
  const optional = text.endsWith('?');
  if (optional) text = text.slice(0, -1);
  const [name = '', ...constraints] = text.split(':');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RouteTemplateError(template, `'{${body}}' is not a parameter this local host understands`);
  if (constraints.length > 1) throw new RouteTemplateError(template, `'{${body}}': only one inline constraint is supported locally`);
  const constraint = constraints[0];
  if (constraint !== undefined && !(constraint in CONSTRAINTS)) {
    throw new RouteTemplateError(template, `'{${body}}': the constraint '${constraint}' is not supported locally (supported: ${Object.keys(CONSTRAINTS).join(', ')})`);
  }
  const pattern = catchAll ? '.*' : constraint !== undefined ? CONSTRAINTS[constraint]! : '[^/]+';
  return { name, pattern, optional, catchAll };
}

/** A literal segment, or one mixing literal text and parameters (`{name}.{ext}`). */
function complexSegment(template: string, segment: string, names: string[]): string {
  let source = '';
  let rest = segment;
  while (rest !== '') {
    const open = rest.indexOf('{');
    if (open === -1) {
      source += escape(template, rest);
      break;
    }
    source += escape(template, rest.slice(0, open));
    const close = rest.indexOf('}', open);
    if (close === -1) throw new RouteTemplateError(template, `unclosed '{' in '${segment}'`);
    const parameter = parseParameter(template, rest.slice(open + 1, close));
    if (parameter.optional || parameter.catchAll) throw new RouteTemplateError(template, `'${segment}': optional and catch-all parameters must be a whole segment`);
    names.push(parameter.name);
    source += `(${parameter.pattern === '[^/]+' ? '[^/]+?' : parameter.pattern})`;
    rest = rest.slice(close + 1);
  }
  return source;
}

function escape(template: string, text: string): string {
  if (text.includes('}')) throw new RouteTemplateError(template, `unmatched '}' in '${text}'`);
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function trimSlashes(text: string): string {
  return text.replace(/^\/+|\/+$/g, '');
}
