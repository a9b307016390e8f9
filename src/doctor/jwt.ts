/**
 * Reading the claims of an access token we just obtained ourselves (client credentials), to report
 * which application permissions (`roles`) it carries.
 *
 * NO SIGNATURE VERIFICATION happens here, on purpose: the token came straight from the token
 * endpoint over TLS to us, we never trust it for an access decision, and the API that receives it
 * verifies it. Never use these functions on a token somebody else sent.
 */

/** The JSON payload (second segment) of a compact JWS, decoded but NOT verified. */
export function decodeJwtPayload(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined || parts[1] === '') {
    throw new Error(`the access token is not a JWT (expected 3 dot-separated parts, got ${parts.length})`);
  }
  const segment = parts[1];
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(segment)) throw new Error('the access token payload is not base64url');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new Error('the access token payload is not JSON');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
    throw new Error('the access token payload is not a JSON object');
  return payload as Record<string, unknown>;
}

/** The `roles` claim (application permissions) as strings; [] when absent (e.g. a delegated token). */
export function tokenRoles(payload: Record<string, unknown>): string[] {
  const roles = payload['roles'];
  if (!Array.isArray(roles)) return [];
  return roles.filter((r): r is string => typeof r === 'string');
}

/**
 * Roles that satisfy another: reference/mde-api.md §2 lists "Machine.Read.All or
 * Machine.ReadWrite.All" for listing machine actions, so ReadWrite.All includes the read.
 */
const IMPLIES: Readonly<Record<string, readonly string[]>> = {
  'machine.readwrite.all': ['machine.read.all'],
};

/** The required roles the token does not grant (directly or through a role that includes them). Case-insensitive. */
export function missingRoles(roles: readonly string[], required: readonly string[] = ['Machine.Read.All']): string[] {
  const granted = new Set<string>();
  for (const r of roles) {
    const lc = r.toLowerCase();
    granted.add(lc);
    for (const implied of IMPLIES[lc] ?? []) granted.add(implied);
  }
  return required.filter((r) => !granted.has(r.toLowerCase()));
}
