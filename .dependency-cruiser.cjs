// The module arrows of shared/DESIGN.md and docs/architecture.md, enforced: every folder of src/ may
// import only the folders listed for it. src/app/ is the composition root: it may import anything,
// and only src/cli.ts (the entry, which checks the Node.js version first) may import it.
const allowed = {
  core: [],
  config: ['core'],
  defender: ['core'],
  simulator: ['core'],
  store: ['core'],
  queries: ['core', 'store'],
  ingest: ['core', 'defender', 'store'],
  schedule: ['core'],
  alerts: ['core', 'store', 'cards'],
  digest: ['core', 'queries', 'store'],
  conversations: ['core', 'store'],
  delivery: ['core'],
  cards: ['core'],
  commands: ['core', 'queries'],
  teams: ['core'],
  server: ['core', 'teams'],
  loganalytics: ['core', 'store'],
  demo: ['core'],
  doctor: ['core', 'config', 'defender', 'store', 'teams'],
};
const modules = Object.keys(allowed);

module.exports = {
  forbidden: [
    ...modules.map((m) => ({
      name: `arrows-${m}`,
      comment: `src/${m}/ may import only: ${allowed[m].join(', ') || 'nothing internal'} (DESIGN.md)`,
      severity: 'error',
      from: { path: `^src/${m}/` },
      to: { path: '^src/', pathNot: [`^src/${m}/`, ...allowed[m].map((d) => `^src/${d}/`)] },
    })),
    {
      name: 'unknown-module',
      comment:
        'Every file in src/ lives in a module named in .dependency-cruiser.cjs, in src/app/ (the composition root), or is src/cli.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: [`^src/(${modules.join('|')})/`, '^src/app/', '^src/cli\\.ts$'] },
      to: { path: '^src/' },
    },
    {
      name: 'only-the-entry-imports-the-root',
      comment:
        'src/app/ wires everything; only src/cli.ts (and src/app/ itself) may import it, so no module comes to depend on the wiring.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/app/', '^src/cli\\.ts$'] },
      to: { path: '^src/app/' },
    },
    {
      name: 'botbuilder-only-in-teams',
      comment: 'botbuilder is isolated in src/teams/ so that a move to the Microsoft 365 Agents SDK is one folder.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/teams/' },
      to: { path: 'node_modules/(botbuilder|botbuilder-core|botframework-[^/]+)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-test',
      comment: 'Production code never imports tests or fakes.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
