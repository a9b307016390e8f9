/**
 * The composition root's factories, for the entry (src/cli.ts loads ./cli/run.ts) and for the
 * end-to-end tests, benchmarks and scripts that build the product as it runs. Nothing else in
 * src/ imports src/app/ (a dependency-cruiser rule).
 */
export {
  buildForwarder,
  buildKqlRunner,
  buildQueries,
  startForwarding,
  type AzureDeps,
  type Queries,
} from './azure.js';
export { alertPolicy, buildAlertPipeline, startAlerts, startDigest, startService, type Service } from './background.js';
export { createBot, type Bot, type BotWiring } from './bot.js';
export { buildChat, replyCard, type ChatWiring } from './chat.js';
export { buildDefenderClient, ingestSettings } from './defender.js';
export { startDemo, type Demo, type DemoOptions } from './demo.js';
export { main, waitForStopSignal } from './main.js';
export { startRuntime, type Runtime, type RuntimeWiring } from './runtime.js';
