import { createRequire } from 'node:module';
import { ManifestUtil, type TeamsAppManifest } from '@microsoft/app-manifest';

/** Replaces `${{VAR}}` placeholders; reports every variable that is missing. */
export function renderManifest(
  template: string,
  vars: Readonly<Record<string, string | undefined>>,
): { ok: true; manifest: TeamsAppManifest } | { ok: false; missing: string[] } {
  const missing = new Set<string>();
  const text = template.replace(/\$\{\{\s*([A-Z0-9_]+)\s*\}\}/g, (_m, key: string) => {
    const v = vars[key];
    if (v === undefined) {
      missing.add(key);
      return '';
    }
    // The value lands inside a JSON string: escape it as one.
    return JSON.stringify(v).slice(1, -1);
  });
  if (missing.size > 0) return { ok: false, missing: [...missing] };
  return { ok: true, manifest: JSON.parse(text) as TeamsAppManifest };
}

/** Validates against the official schema of the manifest's own version (bundled, offline). */
export async function validateManifest(manifest: TeamsAppManifest): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const schema = require(
    `@microsoft/app-manifest/build/json-schemas/teams/v${manifest.manifestVersion}/MicrosoftTeams.schema.json`,
  ) as Parameters<typeof ManifestUtil.validateManifestAgainstSchema>[1];
  return ManifestUtil.validateManifestAgainstSchema(manifest, schema);
}
