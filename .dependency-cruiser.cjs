/**
 * The layer rules `npm run lint` checks (dependency-cruiser). The floors, bottom up:
 * contracts (records that cross a process boundary) → streams (the runtime, knows nothing about
 * clickstreams) → platform (shared Nest plumbing) → services. Tools, bench and tests sit on top.
 * Type-only imports count: a cycle through types still couples the files.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Import cycles (type-level ones too) make the layers meaningless; move the shared part down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'service-imports-service',
      severity: 'error',
      comment: 'Services talk through Kafka topics and contracts, never through each other’s code.',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'lib-imports-service',
      severity: 'error',
      comment: 'libs/ are below every service.',
      from: { path: '^libs/' },
      to: { path: '^services/' },
    },
    {
      name: 'streams-imports-upward',
      severity: 'error',
      comment:
        'libs/streams is the runtime: it knows no clickstream record and no Nest plumbing of ours.',
      from: { path: '^libs/streams/' },
      to: { path: '^libs/(contracts|platform)/' },
    },
    {
      name: 'contracts-imports-upward',
      severity: 'error',
      comment: 'libs/contracts is the bottom floor: schemas and types only.',
      from: { path: '^libs/contracts/' },
      to: { path: '^libs/(streams|platform)/' },
    },
    {
      name: 'production-imports-tools-or-tests',
      severity: 'error',
      comment: 'Shipped code never loads tools, benches or test support.',
      from: { path: '^(libs|services)/', pathNot: '\\.spec\\.ts$|/test/' },
      to: { path: '^(tools|bench|test)/|/test/|\\.spec\\.ts$' },
    },
    {
      name: 'streams-internals-outside-runtime',
      severity: 'error',
      comment:
        'Outside libs/streams use its public entry (@clickstream/streams); internals are for its own benches and fault tests.',
      from: { path: '^(libs/(contracts|platform)|services)/' },
      to: { path: '^libs/streams/src/', pathNot: '^libs/streams/src/(index|testing/index)\\.ts$' },
    },
    {
      name: 'streams-deep-import',
      severity: 'error',
      comment: 'Benches and tests reach the runtime through its three entry points, not its files.',
      from: { path: '^(tools|bench|test)/' },
      to: {
        path: '^libs/streams/src/',
        pathNot: '^libs/streams/src/(index|internals|testing/index)\\.ts$',
      },
    },
    {
      name: 'test-driver-in-production',
      severity: 'error',
      comment: 'The topology test driver is for specs and fixtures only.',
      from: { path: '^(libs/(contracts|platform)|services)/', pathNot: '(\\.spec\\.ts$|/test/)' },
      to: { path: '^libs/streams/src/testing/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
