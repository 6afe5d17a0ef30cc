/**
 * Snowline's dependency rules (docs/architecture.md): each layer may import the layers below it,
 * never those above. `npm run lint:deps` checks them; there is no exception list.
 *
 *   cli → app → config → api | ingest | change | reports | loadtest | slo → engine | mappings | retention → rules | security → store | connectors → errors | observability
 *
 * The sandbox (sandbox/) imitates ServiceNow and AWX; only the CLI starts it, product code never imports it.
 */
const LAYERS = [
  ['cli', '^src/cli/'],
  ['app', '^src/app/'],
  ['config', '^src/config/'],
  ['edge', '^src/(api|ingest|change|reports|loadtest|slo)/'],
  ['engine', '^src/(engine|mappings|retention)/'],
  ['core', '^src/(rules|security)/'],
  ['parts', '^(src/store/|connectors/)'],
  ['base', '^src/(errors|observability)/|^src/[^/]+\\.ts$'],
];

/** A module of layer i may not import a module of any layer above it. */
const layerRules = LAYERS.slice(1).map(([name, path], i) => ({
  name: `layer-${name}`,
  comment: `${name} may not depend on the layers above it (${LAYERS.slice(0, i + 1)
    .map(([n]) => n)
    .join(', ')})`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(0, i + 1).map(([, p]) => p) },
}));

/** What a pure module may not touch: files, network, processes, databases, clocks of the outside world. */
const IO_MODULES = [
  '^node:(fs|fs/promises|net|http|https|child_process|dgram|dns|tls|worker_threads)$',
  '^(fs|net|http|https|child_process)$',
  'node_modules/(axios|pg|better-sqlite3|kysely|ioredis|express|chokidar|winston)/',
];

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'every-folder-has-a-layer',
      comment:
        'A new folder under src/ must be placed in LAYERS (and in docs/architecture.md), or its imports go unchecked.',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.map(([, p]) => p) },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'Circles make every file in them a dependency of every other: break them with an interface or a move.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'product-imports-sandbox',
      comment: 'The sandbox is a separate part (sandbox/): only the CLI (serve, sandbox) starts it.',
      severity: 'error',
      from: { path: '^(src|connectors)/', pathNot: '^src/cli/' },
      to: { path: '^sandbox/' },
    },
    {
      name: 'pure-core',
      comment:
        'Encoded-query evaluation, rule matching, templating and the run state machine do no I/O (src/mappings reads the files).',
      severity: 'error',
      from: { path: ['^src/rules/', '^src/engine/run-state-machine\\.ts$'] },
      to: { path: IO_MODULES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'connectors-are-independent-of-the-store',
      comment: 'Connectors talk to the outside world; what they remember goes through the engine.',
      severity: 'error',
      from: { path: '^connectors/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'sql-only-in-the-store',
      comment:
        'Queries are built in src/store/ repositories and nowhere else (eslint also refuses query building outside it).',
      severity: 'error',
      from: { path: '^(src|connectors)/', pathNot: '^src/store/' },
      to: { path: 'node_modules/kysely/' },
    },
    {
      name: 'not-to-tests',
      comment: 'Product code never imports test code.',
      severity: 'error',
      from: { path: '^(src|connectors|sandbox)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
