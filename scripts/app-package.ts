/**
 * The Teams app package (appPackage/build/appPackage.<env>.zip) built from appPackage/ and the
 * Agents Toolkit environment files, as `npm run package` and the tests do it. The Toolkit's own
 * teamsApp/zipAppPackage (m365agents.yml) builds the same package from the same files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { type TeamsAppManifest } from '@microsoft/app-manifest';
import JSZip from 'jszip';
import { renderManifest, validateManifest } from './manifest.js';

/** The repository root (this file is scripts/app-package.ts). */
export const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');

/** Environment names are file-name parts (env/.env.<name>): letters, digits, `-` and `_`. */
const ENV_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export interface AppPackageOptions {
  /** The environment: reads env/.env.<env>, then env/.env.<env>.user. */
  env: string;
  /** Variables that win over both files (the CLI passes process.env, as the Toolkit does). */
  environ?: Readonly<Record<string, string | undefined>>;
  /** The repository root. Default: this repository. */
  root?: string;
  /** Where the zip is written. Default: <root>/appPackage/build. */
  outDir?: string;
}

export type AppPackageResult =
  | { ok: true; path: string; manifest: TeamsAppManifest; vars: Readonly<Record<string, string | undefined>> }
  | { ok: false; message: string };

/** The variables of env/.env.<env> and env/.env.<env>.user (the .user file wins), and which files were read. */
export function readEnvFiles(root: string, env: string): { vars: Record<string, string | undefined>; files: string[] } {
  if (!ENV_NAME.test(env))
    throw new Error(`Invalid environment name "${env}": use letters, digits, - and _ (it names env/.env.<name>).`);
  const vars: Record<string, string | undefined> = {};
  const files: string[] = [];
  for (const file of [`env/.env.${env}`, `env/.env.${env}.user`]) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    Object.assign(vars, parseEnv(readFileSync(path, 'utf8')));
    files.push(file);
  }
  return { vars, files };
}

/**
 * Fills every `${{VAR}}` of appPackage/manifest.json from the environment files (the environ wins),
 * validates the result against the official Teams schema of its manifestVersion (offline), and writes
 * appPackage.<env>.zip with manifest.json, color.png and outline.png. APP_VERSION defaults to
 * package.json's version. Failures name the variables or the schema errors and the fix.
 */
export async function buildAppPackage(options: AppPackageOptions): Promise<AppPackageResult> {
  const root = options.root ?? ROOT;
  const { env } = options;
  let read: ReturnType<typeof readEnvFiles>;
  try {
    read = readEnvFiles(root, env);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const vars: Record<string, string | undefined> = { ...read.vars };
  for (const [k, v] of Object.entries(options.environ ?? {})) if (v !== undefined) vars[k] = v;
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  if (!vars.APP_VERSION) vars.APP_VERSION = pkg.version;

  const where = read.files.length > 0 ? read.files.join(' and ') : `env/.env.${env} (missing)`;
  const template = readFileSync(join(root, 'appPackage', 'manifest.json'), 'utf8');
  const rendered = renderManifest(template, vars);
  if (!rendered.ok) {
    return {
      ok: false,
      message: `Cannot build the app package: ${rendered.missing.join(', ')} not set. Fix: add them to env/.env.${env} (see env/.env.example). Read: ${where}.`,
    };
  }
  const errors = await validateManifest(rendered.manifest);
  if (errors.length > 0) {
    const used = new Set([...template.matchAll(/\$\{\{\s*([A-Z0-9_]+)\s*\}\}/g)].map((m) => m[1]!));
    const empty = [...used].filter((k) => vars[k] === '' && k !== 'APP_NAME_SUFFIX');
    const hint =
      empty.length > 0
        ? `\n${empty.join(', ')} ${empty.length === 1 ? 'is' : 'are'} empty in ${where}: the Toolkit's provision writes ${empty.length === 1 ? 'it' : 'them'} (m365agents${env === 'local' ? '.local' : ''}.yml), or set ${empty.length === 1 ? 'it' : 'them'} yourself.`
        : '';
    return { ok: false, message: `The manifest does not match the Teams schema:\n  ${errors.join('\n  ')}${hint}` };
  }

  const zip = new JSZip();
  zip.file('manifest.json', JSON.stringify(rendered.manifest, null, 2));
  zip.file('color.png', readFileSync(join(root, 'appPackage', 'color.png')));
  zip.file('outline.png', readFileSync(join(root, 'appPackage', 'outline.png')));
  const outDir = options.outDir ?? join(root, 'appPackage', 'build');
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, `appPackage.${env}.zip`);
  writeFileSync(path, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
  return { ok: true, path, manifest: rendered.manifest, vars };
}
