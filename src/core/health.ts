/** Liveness and readiness (`/healthz`): no data beyond pass/fail and a short detail per check. */
export interface HealthReport {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail: string }>;
}
