/**
 * The layer rules `npm run lint` checks (dependency-cruiser). The floors, bottom up:
 * contracts (records that cross a process boundary) → streams (the runtime, knows nothing about
 * clickstreams) → platform (shared Nest plumbing) → services. Tools, bench and tests sit on top.
 * Type-only imports count: a cycle through types still couples the files.
 */

/**
 * One forbidden rule: every rule is an error, `comment` says why, and `from` / `to` are
 * dependency-cruiser's conditions on the importing and the imported module.
 */
const rule = (name, comment, from, to) => ({ name, severity: 'error', comment, from, to });

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    rule(
      'no-circular',
      'Import cycles (type-level ones too) make the layers meaningless; move the shared part down.',
      {},
      { circular: true },
    ),
    rule(
      'service-imports-service',
      'Services talk through Kafka topics and contracts, never through each other’s code.',
      { path: '^services/([^/]+)/' },
      { path: '^services/', pathNot: '^services/$1/' },
    ),
    rule(
      'lib-imports-service',
      'libs/ are below every service.',
      { path: '^libs/' },
      { path: '^services/' },
    ),
    rule(
      'streams-imports-upward',
      'libs/streams is the runtime: it knows no clickstream record and no Nest plumbing of ours.',
      { path: '^libs/streams/' },
      { path: '^libs/(contracts|platform)/' },
    ),
    rule(
      'contracts-imports-upward',
      'libs/contracts is the bottom floor: schemas and types only.',
      { path: '^libs/contracts/' },
      { path: '^libs/(streams|platform)/' },
    ),
    rule(
      'production-imports-tools-or-tests',
      'Shipped code never loads tools, benches or test support.',
      { path: '^(libs|services)/', pathNot: '\\.spec\\.ts$|/test/' },
      { path: '^(tools|bench|test)/|/test/|\\.spec\\.ts$' },
    ),
    rule(
      'streams-internals-outside-runtime',
      'Outside libs/streams use its public entry (@clickstream/streams); internals are for its own benches and fault tests.',
      { path: '^(libs/(contracts|platform)|services)/' },
      { path: '^libs/streams/src/', pathNot: '^libs/streams/src/(index|testing/index)\\.ts$' },
    ),
    rule(
      'streams-deep-import',
      'Benches and tests reach the runtime through its three entry points, not its files.',
      { path: '^(tools|bench|test)/' },
      {
        path: '^libs/streams/src/',
        pathNot: '^libs/streams/src/(index|internals|testing/index)\\.ts$',
      },
    ),
    rule(
      'test-driver-in-production',
      'The topology test driver is for specs and fixtures only.',
      { path: '^(libs/(contracts|platform)|services)/', pathNot: '(\\.spec\\.ts$|/test/)' },
      { path: '^libs/streams/src/testing/' },
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
