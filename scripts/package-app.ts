/**
 * `npm run package -- [--env NAME] [--out-dir DIR]`: builds the Teams app package from appPackage/
 * and env/.
 *
 * Reads env/.env.NAME and env/.env.NAME.user (NAME defaults to "local"; the process environment
 * wins, as with the Microsoft 365 Agents Toolkit), replaces every `${{VAR}}` in
 * appPackage/manifest.json, validates the result against the official Teams manifest schema (from
 * @microsoft/app-manifest, offline), and writes DIR/appPackage.NAME.zip (default DIR:
 * appPackage/build) with manifest.json, color.png and outline.png. A missing variable or a schema
 * error stops it with exit code 2 and says which. The work is buildAppPackage() in ./app-package.ts.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAppPackage } from './app-package.js';

let values: { env?: string; 'out-dir'?: string };
try {
  ({ values } = parseArgs({ options: { env: { type: 'string', default: 'local' }, 'out-dir': { type: 'string' } } }));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\nUsage: npm run package -- [--env NAME] [--out-dir DIR]\n`);
  process.exit(2);
}
const outDir = values['out-dir'];
const result = await buildAppPackage({
  env: values.env ?? 'local',
  environ: process.env,
  ...(outDir !== undefined ? { outDir: resolve(outDir) } : {}),
});
if (!result.ok) {
  process.stderr.write(`${result.message}\n`);
  process.exit(2);
}
process.stdout.write(`Wrote ${result.path}: upload it in Teams (Apps → Manage your apps → Upload an app).\n`);
