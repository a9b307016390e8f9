import { gzipSync } from 'node:zlib';

/**
 * "Open in Log Analytics": an Azure portal link that opens the Logs blade of a workspace with a
 * query filled in and run, in the format of the portal's own "Share → Copy link to query":
 * `https://portal.azure.com/#@<tenant>/blade/Microsoft_OperationsManagementSuite_Workspace/Logs.ReactView/resourceId/<resource id>/source/LogsBlade.AnalyticsShareLinkToQuery/q/<query>/timespan/<ISO 8601 duration>`
 * where `<query>` is the UTF-8 query, gzip-compressed, base64-encoded, then URL-encoded, and
 * `<resource id>` is the workspace's ARM id, URL-encoded.
 */
export interface PortalLinkOptions {
  /** ARM resource id of the workspace. */
  workspaceResourceId: string;
  /** Tenant (GUID or domain) to open the portal in; optional. */
  tenantId?: string;
  /** Portal host, e.g. `https://portal.azure.us` for US Government. */
  portalBaseUrl?: string;
  /** ISO 8601 duration of the portal's time picker; the queries carry their own ranges, so the widest is used. */
  timespan?: string;
}

export function logAnalyticsPortalUrl(kql: string, options: PortalLinkOptions): string {
  const base = (options.portalBaseUrl ?? 'https://portal.azure.com').replace(/\/+$/, '');
  const tenant = options.tenantId === undefined ? '' : `@${encodeURIComponent(options.tenantId)}/`;
  const q = encodeURIComponent(gzipSync(Buffer.from(kql, 'utf8')).toString('base64'));
  const resource = encodeURIComponent(options.workspaceResourceId);
  const timespan = options.timespan ?? 'P365D';
  return `${base}/#${tenant}blade/Microsoft_OperationsManagementSuite_Workspace/Logs.ReactView/resourceId/${resource}/source/LogsBlade.AnalyticsShareLinkToQuery/q/${q}/timespan/${timespan}`;
}
