/**
 * `npm run package -- [--env NAME]`: builds the Teams app package from appPackage/ and env/.
 *
 * Reads env/.env.NAME and env/.env.NAME.user (NAME defaults to "local"; the process environment
 * wins), replaces every `${{VAR}}` in appPackage/manifest.json, validates the result against the
 * official Teams manifest schema (from @microsoft/app-manifest, offline), and writes
 * appPackage/build/appPackage.NAME.zip with manifest.json, color.png and outline.png.
 * A missing variable or a schema error stops it with exit code 2 and says which.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, parseEnv } from 'node:util';
import JSZip from 'jszip';
import { renderManifest, validateManifest } from './manifest.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');
const { values } = parseArgs({ options: { env: { type: 'string', default: 'local' } } });
const name = values.env ?? 'local';

const vars: Record<string, string | undefined> = {};
for (const file of [`env/.env.${name}`, `env/.env.${name}.user`]) {
  const path = join(ROOT, file);
  if (existsSync(path)) Object.assign(vars, parseEnv(readFileSync(path, 'utf8')));
}
Object.assign(vars, process.env);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
vars.APP_VERSION ??= pkg.version;

const rendered = renderManifest(readFileSync(join(ROOT, 'appPackage', 'manifest.json'), 'utf8'), vars);
if (!rendered.ok) {
  process.stderr.write(`Cannot build the app package: ${rendered.missing.join(', ')} not set. Fix: add them to env/.env.${name} (see env/.env.example).\n`);
  process.exit(2);
}
const errors = await validateManifest(rendered.manifest);
if (errors.length > 0) {
  process.stderr.write(`The manifest does not match the Teams schema:\n  ${errors.join('\n  ')}\n`);
  process.exit(2);
}
const zip = new JSZip();
zip.file('manifest.json', JSON.stringify(rendered.manifest, null, 2));
zip.file('color.png', readFileSync(join(ROOT, 'appPackage', 'color.png')));
zip.file('outline.png', readFileSync(join(ROOT, 'appPackage', 'outline.png')));
mkdirSync(join(ROOT, 'appPackage', 'build'), { recursive: true });
const out = join(ROOT, 'appPackage', 'build', `appPackage.${name}.zip`);
writeFileSync(out, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
process.stdout.write(`Wrote ${out}: upload it in Teams (Apps → Manage your apps → Upload an app).\n`);
