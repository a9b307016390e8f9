/** Azure Log Analytics: the KQL backend and the forwarder, built from the configuration. */
import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { DefaultAzureCredential } from '@azure/identity';
import { LogsIngestionClient } from '@azure/monitor-ingestion';
import { LogsQueryClient } from '@azure/monitor-query-logs';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { KqlRunner, QueryBackend } from '../core/query.js';
import type { Config } from '../config/config.js';
import { createForwarder, type Forwarder } from '../loganalytics/forwarder.js';
import { reconcileForwarding } from '../loganalytics/outbox.js';
import { logAnalyticsPortalUrl } from '../loganalytics/portal.js';
import { createLogAnalyticsRunner, keepDatetimeTextPolicy } from '../loganalytics/query.js';
import { createKqlQueryBackend } from '../queries/kql-backend.js';
import { toDcrRow } from '../queries/schema.js';
import { createSqliteQueryBackend } from '../queries/sqlite-backend.js';
import type { SqliteAuditStore } from '../store/sqlite-store.js';
import type { ForwardingOutbox } from '../store/types.js';
import { createIntervalRunner, type IntervalRunner } from '../schedule/interval.js';

/**
 * How the Azure SDK clients authenticate and reach Azure. Production passes nothing:
 * DefaultAzureCredential (managed identity in Azure; AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_CLIENT_SECRET elsewhere) and the SDK's own HTTP client. Tests inject both.
 */
export interface AzureDeps {
  credential?: TokenCredential;
  httpClient?: HttpClient;
}

function azureCredential(azure: AzureDeps | undefined): TokenCredential {
  return azure?.credential ?? new DefaultAzureCredential();
}

/** The KQL runner over the configured workspace, or undefined in SQLite mode. */
export function buildKqlRunner(config: Config, deps: { clock: Clock; azure?: AzureDeps }): KqlRunner | undefined {
  const la = config.logAnalytics;
  if (la.queryBackend !== 'log-analytics' || la.workspaceId === undefined) return undefined;
  const client = new LogsQueryClient(azureCredential(deps.azure), {
    endpoint: la.queryEndpoint,
    ...(deps.azure?.httpClient ? { httpClient: deps.azure.httpClient } : {}),
    additionalPolicies: [{ policy: keepDatetimeTextPolicy, position: 'perCall' }],
  });
  return createLogAnalyticsRunner({ client, workspaceId: la.workspaceId, now: () => deps.clock.now() });
}

/** Where queries run, built once per process and shared by chat, the digest and the CLI. */
export interface Queries {
  backend: QueryBackend;
  /** The workspace runner (ad hoc KQL) in workspace mode. */
  runner?: KqlRunner;
  /** "Open in Log Analytics" links, when the workspace's resource id is known. */
  portalUrl?: (kql: string) => string | undefined;
}

/** The SQLite store, or the workspace (QUERY_BACKEND=log-analytics). */
export function buildQueries(
  config: Config,
  deps: { store: SqliteAuditStore; clock: Clock; azure?: AzureDeps },
): Queries {
  const runner = buildKqlRunner(config, deps);
  if (runner === undefined) return { backend: createSqliteQueryBackend(deps.store) };
  const resourceId = config.logAnalytics.workspaceResourceId;
  const tenant = config.bot.tenantId !== undefined ? { tenantId: config.bot.tenantId } : {};
  return {
    backend: createKqlQueryBackend({ runner, schema: config.commands.kqlSchema }),
    runner,
    ...(resourceId === undefined
      ? {}
      : { portalUrl: (kql: string) => logAnalyticsPortalUrl(kql, { workspaceResourceId: resourceId, ...tenant }) }),
  };
}

/**
 * The forwarder to the Logs Ingestion API over the store's outbox, when LOGS_INGESTION_ENDPOINT is
 * set; the outbox is brought in line with the configuration either way.
 */
export function buildForwarder(
  config: Config,
  deps: { store: ForwardingOutbox; clock: Clock; logger: Logger; azure?: AzureDeps },
): Forwarder | undefined {
  const f = config.logAnalytics.forward;
  const logger = deps.logger.child({ component: 'loganalytics' });
  reconcileForwarding(deps.store, f !== undefined, new Date(deps.clock.now()).toISOString(), logger);
  if (f === undefined) return undefined;
  const httpClient = deps.azure?.httpClient ? { httpClient: deps.azure.httpClient } : {};
  return createForwarder({
    uploader: new LogsIngestionClient(f.endpoint, azureCredential(deps.azure), httpClient),
    source: {
      pending: (limit) =>
        deps.store.pendingForward(limit).map((item) => ({ seq: item.seq, row: toDcrRow(item.action) })),
      ack: (seq) => deps.store.ackForward(seq),
      backlog: () => deps.store.forwardBacklog(),
    },
    dcrImmutableId: f.dcrImmutableId,
    streamName: f.streamName,
    logger,
  });
}

/** Runs the forwarder every LOGS_FORWARD_INTERVAL and whenever `runNow()` is called (after each ingest). */
export function startForwarding(
  forwarder: Forwarder,
  intervalMs: number,
  deps: { clock: Clock; logger: Logger },
): IntervalRunner {
  const runner = createIntervalRunner({
    name: 'forward',
    intervalMs,
    clock: deps.clock,
    logger: deps.logger,
    task: async (signal) => {
      await forwarder.forward(signal);
    },
  });
  runner.start();
  return runner;
}
