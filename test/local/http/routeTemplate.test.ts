import { byPrecedence, compileRoute, RouteTemplateError } from '../../../local/http/routeTemplate';

describe('compileRoute', () => {
  it.each([
    { route: 'pairs', path: '/api/pairs', params: {} },
    { route: 'pairs', path: '/API/Pairs/', params: {} },
    { route: 'pairs/{id}', path: '/api/pairs/erp', params: { id: 'erp' } },
    { route: 'pairs/{id}', path: '/api/pairs/a%20b%2Fc', params: { id: 'a b/c' } },
    { route: '/failovers/{instanceId}/approve/', path: '/api/failovers/failover-erp/approve', params: { instanceId: 'failover-erp' } },
    { route: 'things/{kind}/{id?}', path: '/api/things/job', params: { kind: 'job' } },
    { route: 'things/{kind}/{id?}', path: '/api/things/job/7', params: { kind: 'job', id: '7' } },
    { route: 'files/{*rest}', path: '/api/files/a/b/c.txt', params: { rest: 'a/b/c.txt' } },
    { route: 'files/{*rest}', path: '/api/files', params: {} },
    { route: 'jobs/{id:int}', path: '/api/jobs/42', params: { id: '42' } },
    { route: 'reports/{name}.{ext}', path: '/api/reports/daily.csv', params: { name: 'daily', ext: 'csv' } },
  ])('matches $path against $route', ({ route, path, params }) => {
    expect(compileRoute(route).match(path)).toEqual(params);
  });

  it.each([
    { route: 'pairs', path: '/pairs' },
    { route: 'pairs', path: '/api/pairs/erp' },
    { route: 'pairs/{id}', path: '/api/pairs' },
    { route: 'pairs/{id}', path: '/api/pairs/erp/extra' },
    { route: 'jobs/{id:int}', path: '/api/jobs/seven' },
    { route: 'pairs/{id}', path: '/api/pairs/%E0%A4%A' },
  ])('does not match $path against $route', ({ route, path }) => {
    expect(compileRoute(route).match(path)).toBeUndefined();
  });

  it('serves under another prefix, or none, as host.json can say', () => {
    expect(compileRoute('pairs', 'watchdog').match('/watchdog/pairs')).toEqual({});
    expect(compileRoute('pairs', '').match('/pairs')).toEqual({});
    expect(compileRoute('pairs', '').template).toBe('pairs');
  });

  it.each([
    { route: 'jobs/{id:regex(^\\d+$)}', problem: /not supported locally|not a parameter/ },
    { route: 'jobs/{id:int:min(1)}', problem: /only one inline constraint/ },
    { route: 'jobs/{id=7}', problem: /not a parameter/ },
    { route: 'jobs/{id?}/more', problem: /optional parameter may only be followed/ },
    { route: 'files/{*rest}/more', problem: /catch-all .* must be the last segment/ },
    { route: 'jobs/{id', problem: /unclosed/ },
  ])('refuses $route at start-up instead of serving it wrongly', ({ route, problem }) => {
    expect(() => compileRoute(route)).toThrow(RouteTemplateError);
    expect(() => compileRoute(route)).toThrow(problem);
  });

  it('orders literal segments before parameters and parameters before catch-alls', () => {
    const routes = ['files/{*rest}', 'pairs/{id}', 'pairs/{id:int}', 'pairs/special', 'pairs'].map((r) => compileRoute(r));

    expect([...routes].sort(byPrecedence).map((r) => r.template)).toEqual(['api/pairs', 'api/pairs/special', 'api/pairs/{id:int}', 'api/pairs/{id}', 'api/files/{*rest}']);
  });
});
