/**
 * The Node.js versions the product supports: Node.js 24 LTS, and 22 from 22.12 (package.json
 * `engines`, which a test keeps equal to SUPPORTED_NODE_RANGE). Node.js 20 reached end of life on
 * 2026-04-30, and restify 12 and better-sqlite3 13 need 22.
 */

/** The `engines.node` range of package.json. */
export const SUPPORTED_NODE_RANGE = '^22.12.0 || >=24';

/**
 * Undefined when `version` (as in `process.versions.node`, e.g. `24.22.3`) is supported; otherwise
 * the one line to print, naming the version found and the one needed.
 */
export function unsupportedNodeVersion(version: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  const major = m ? Number(m[1]) : NaN;
  const minor = m ? Number(m[2]) : NaN;
  const supported = major >= 24 || (major === 22 && minor >= 12);
  if (supported) return undefined;
  return `defender-audit-bot needs Node.js 24 LTS (or 22.12 or later); this is Node.js ${version}. Install Node.js 24, or run it through scripts/with-node24.sh (README, "Node.js").`;
}
