import { z } from 'zod';
import type { InvalidItem, MachineAction } from '../core/types.js';
import { normalizeTimestamp } from '../core/timestamps.js';

/**
 * Validation of list items from the API. An item that fails is returned as an `InvalidItem` (kept
 * raw with the reason) and never breaks its page. Unknown `type`, `status` and `requestSource`
 * strings are valid: they are kept as they are. Unknown extra keys are kept too (zod `looseObject`),
 * so a field Microsoft adds later reaches the raw JSON in the store.
 *
 * Required: `id`, `type`, `requestor`, `status`, `machineId`, `creationDateTimeUtc`,
 * `lastUpdateDateTimeUtc` (without them an action cannot be stored, ordered or attributed).
 * The nullable fields that older API versions omitted are accepted when absent and stored as null.
 */
const timestamp = z
  .string()
  .refine((s) => normalizeTimestamp(s) !== undefined, { message: 'not an MDE UTC timestamp' });
const nonEmpty = z.string().min(1);
const optNullString = z
  .string()
  .nullable()
  .optional()
  .transform((v) => v ?? null);

const actionSchema = z.looseObject({
  id: nonEmpty.max(200),
  type: nonEmpty.max(200),
  title: optNullString,
  requestor: nonEmpty.max(500),
  requestorComment: optNullString,
  status: nonEmpty.max(100),
  machineId: nonEmpty.max(200),
  computerDnsName: optNullString,
  creationDateTimeUtc: timestamp,
  lastUpdateDateTimeUtc: timestamp,
  cancellationRequestor: optNullString,
  cancellationComment: optNullString,
  cancellationDateTimeUtc: timestamp
    .nullable()
    .optional()
    .transform((v) => v ?? null),
  errorHResult: z
    .number()
    .int()
    .min(-2147483648)
    .max(4294967295)
    .optional()
    .transform((v) => v ?? 0),
  scope: optNullString,
  externalId: optNullString,
  requestSource: optNullString,
  relatedFileInfo: z
    .looseObject({ fileIdentifier: z.string(), fileIdentifierType: z.string() })
    .nullable()
    .optional()
    .transform((v) => v ?? null),
  commands: z
    .array(z.unknown())
    .nullable()
    .optional()
    .transform((v) => v ?? []),
  troubleshootInfo: z
    .unknown()
    .optional()
    .transform((v) => v ?? null),
});

export type ValidationResult = { ok: true; action: MachineAction } | { ok: false; invalid: InvalidItem };

export function validateAction(item: unknown): ValidationResult {
  const parsed = actionSchema.safeParse(item);
  if (parsed.success) return { ok: true, action: parsed.data };
  const reason = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`)
    .join('; ');
  const id = item !== null && typeof item === 'object' ? (item as { id?: unknown }).id : undefined;
  return {
    ok: false,
    invalid: { raw: safeStringify(item), reason, actionId: typeof id === 'string' && id !== '' ? id : null },
  };
}

function safeStringify(item: unknown): string {
  try {
    return JSON.stringify(item) ?? String(item);
  } catch {
    return String(item);
  }
}
