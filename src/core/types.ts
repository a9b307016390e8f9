/**
 * Domain types for Microsoft Defender for Endpoint machine actions.
 *
 * Field names follow the MDE API wire format exactly (see shared/reference/mde-api.md, section 3):
 * 20 keys, explicit nulls, `lastUpdateDateTimeUtc` (not `lastUpdateTimeUtc`), status `Cancelled`
 * (double L), type `LiveResponse` (no space). Enum-like fields accept unknown strings so that a new
 * action type or request source never breaks ingestion.
 */

export const KNOWN_ACTION_TYPES = [
  'RunAntiVirusScan',
  'Offboard',
  'LiveResponse',
  'CollectInvestigationPackage',
  'Isolate',
  'Unisolate',
  'StopAndQuarantineFile',
  'RestrictCodeExecution',
  'UnrestrictCodeExecution',
] as const;
export type KnownActionType = (typeof KNOWN_ACTION_TYPES)[number];
/** A known action type, or any other string the API may introduce later (kept as it is). */
export type ActionType = KnownActionType | (string & {});

export const KNOWN_ACTION_STATUSES = ['Pending', 'InProgress', 'Succeeded', 'Failed', 'TimeOut', 'Cancelled'] as const;
export type KnownActionStatus = (typeof KNOWN_ACTION_STATUSES)[number];
export type ActionStatus = KnownActionStatus | (string & {});

/** Statuses of an action not finished yet; for an Isolate, an isolation requested but not confirmed. */
export const OPEN_STATUSES = ['Pending', 'InProgress'] as const;

/** Whether `status` is Pending or InProgress (an isolation with it is requested, not yet confirmed). */
export function isOpenStatus(status: string): boolean {
  return (OPEN_STATUSES as readonly string[]).includes(status);
}

/** Statuses after which an action never changes again. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'TimeOut', 'Cancelled']);

export const KNOWN_REQUEST_SOURCES = ['Portal', 'PublicApi'] as const;

export interface RelatedFileInfo {
  fileIdentifier: string;
  fileIdentifierType: 'Sha1' | 'Sha256' | 'Md5' | (string & {});
}

/**
 * One machine action, exactly as the MDE API returns it. Timestamps are the API's original strings
 * (UTC, `Z` suffix, 1 to 7 fractional digits); compare them with `compareTimestamps` or after
 * `normalizeTimestamp`, never as raw text.
 */
export interface MachineAction {
  id: string;
  type: ActionType;
  title: string | null;
  requestor: string;
  /** The comment given with the request; never null in samples, tolerated as null. */
  requestorComment: string | null;
  status: ActionStatus;
  machineId: string;
  computerDnsName: string | null;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
  cancellationRequestor: string | null;
  cancellationComment: string | null;
  cancellationDateTimeUtc: string | null;
  errorHResult: number;
  scope: string | null;
  externalId: string | null;
  requestSource: string | null;
  relatedFileInfo: RelatedFileInfo | null;
  commands: unknown[];
  troubleshootInfo: unknown;
}

/** The 20 wire keys in the order a live tenant returns them. */
export const MACHINE_ACTION_KEYS = [
  'id',
  'type',
  'title',
  'requestor',
  'requestorComment',
  'status',
  'machineId',
  'computerDnsName',
  'creationDateTimeUtc',
  'lastUpdateDateTimeUtc',
  'cancellationRequestor',
  'cancellationComment',
  'cancellationDateTimeUtc',
  'errorHResult',
  'scope',
  'externalId',
  'requestSource',
  'relatedFileInfo',
  'commands',
  'troubleshootInfo',
] as const satisfies readonly (keyof MachineAction)[];

export function isFinalStatus(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

/** An API item that failed validation, kept raw so that nothing is lost. */
export interface InvalidItem {
  /** The item as JSON text. */
  raw: string;
  /** Why it was rejected, e.g. `lastUpdateDateTimeUtc: not a timestamp`. */
  reason: string;
  /** The item's `id` when it had a usable one. */
  actionId: string | null;
}
