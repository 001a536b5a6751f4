/**
 * Layer rules (see ../shared/STYLE.md): the domain is pure, only adapters touch SDKs, and
 * orchestrators stay deterministic. Checked in `npm test`.
 */
const SDKS = '^(mssql|tedious|nodemailer|@azure/storage-blob|@azure/service-bus|@azure/identity|@azure/communication-email|rhea|rhea-promise)($|/)';
const NODE_IO = '^(node:)?(fs|net|http|https|http2|child_process|dgram|dns|tls|os|cluster|worker_threads)($|/)';

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'shared/domain takes time, ids and randomness as arguments; it imports no SDK, no I/O, no adapter, no port.',
      severity: 'error',
      from: { path: '^shared/domain/' },
      to: { path: ['^shared/(adapters|services|config|composition|ports)/', SDKS, NODE_IO, '^@azure/', '^durable-functions'] },
    },
    {
      name: 'sdks-only-in-adapters',
      comment: 'Only shared/adapters (and the agent and local runner adapters) import SDKs.',
      severity: 'error',
      from: { path: '^(shared|functions|orchestrations)/', pathNot: '^shared/adapters/' },
      to: { path: SDKS },
    },
    {
      name: 'agent-core-uses-ports',
      comment: "The agent's command handling stays testable: SDKs only in its transport, backup and restore adapters.",
      severity: 'error',
      from: { path: '^agent/(core|commands|config)/' },
      to: { path: SDKS },
    },
    {
      name: 'services-use-ports',
      comment: 'Services depend on ports, never on an adapter.',
      severity: 'error',
      from: { path: '^shared/(services|ports)/' },
      to: { path: ['^shared/(adapters|composition)/', NODE_IO] },
    },
    {
      name: 'triggers-use-composition',
      comment: 'functions/ are triggers only: they reach adapters through shared/composition.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^shared/adapters/' },
    },
    {
      name: 'orchestrators-are-deterministic',
      comment: 'Orchestrators do no I/O: no adapter, SDK, Node I/O or composition.',
      severity: 'error',
      from: { path: '^orchestrations/.*\\.orchestrator\\.ts$' },
      to: { path: ['^shared/(adapters|composition)/', SDKS, NODE_IO] },
    },
    {
      name: 'product-does-not-import-tests',
      severity: 'error',
      from: { path: '^(shared|functions|orchestrations|agent)/' },
      to: { path: '^(test|bench|local)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
