import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import JSZip from 'jszip';
import { buildAppPackage, readEnvFiles } from '../../scripts/app-package.js';
import { loadConfig } from '../../src/config/config.js';
import { ROOT } from '../support/child.js';
import { parseBicep } from '../infra/bicep.js';
import { isIgnored, parseDockerignore } from './dockerfile.js';

/**
 * The Microsoft 365 Agents Toolkit files: m365agents.yml (hosted, env/.env.dev),
 * m365agents.local.yml (local debugging, env/.env.local), the committed environment files, and the
 * Teams app package built from them (`npm run package -- --env <name>`).
 *
 * The YAML is parsed with js-yaml (already installed as a dependency of eslint and mocha; it should
 * become a devDependency). Each action is checked against the shape the Toolkit's v1.7 YAML schema
 * gives it (required and allowed keys, environment variable name patterns), and the lifecycles are
 * replayed in order: every ${{NAME}} an action uses (in the YAML, in the ARM parameters file it
 * deploys, in the manifest it packages) must be in the committed env/.env.<name>, be a SECRET_
 * documented in env/.env.example (kept in env/.env.<name>.user), or be written by an earlier action
 * (writeToEnvironmentFile, the outputs of a Bicep template, a script's ::set-teamsfx-env). The
 * Toolkit itself cannot run here (it signs in to Microsoft 365 and Azure).
 */

const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

type Obj = Record<string, unknown>;
interface Action {
  uses: string;
  name?: string;
  env?: Obj;
  with?: Obj;
  writeToEnvironmentFile?: Record<string, string>;
}
interface ProjectFile {
  version: string;
  environmentFolderPath?: string;
  provision?: Action[];
  deploy?: Action[];
  publish?: Action[];
}

const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
const load = (file: string): ProjectFile => yaml.load(read(file)) as ProjectFile;

const ENV_VAR = /^[A-Z][A-Z0-9_]*$/;
const SECRET_VAR = /^SECRET_[A-Z0-9_]+$/;
const PLACEHOLDER = /\$\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** The v1.7 schema's actions used here: required and optional `with` keys, `writeToEnvironmentFile` keys. */
const ACTIONS: Record<
  string,
  { required: string[]; optional: string[]; write?: { required: string[]; optional: string[]; secret?: string[] } }
> = {
  'teamsApp/create': { required: ['name'], optional: [], write: { required: ['teamsAppId'], optional: [] } },
  'aadApp/create': {
    required: ['name', 'generateClientSecret', 'signInAudience'],
    optional: ['serviceManagementReference', 'clientSecretExpireDays', 'clientSecretDescription'],
    write: {
      required: ['clientId', 'objectId', 'clientSecret'],
      optional: ['tenantId', 'authority', 'authorityHost'],
      secret: ['clientSecret'],
    },
  },
  'botAadApp/create': {
    required: ['name'],
    optional: [],
    write: { required: ['botId', 'botPassword'], optional: [], secret: ['botPassword'] },
  },
  'botFramework/create': {
    required: ['botId', 'name', 'messagingEndpoint'],
    optional: ['description', 'iconUrl', 'channels'],
  },
  'arm/deploy': { required: ['subscriptionId', 'resourceGroupName', 'templates'], optional: ['bicepCliVersion'] },
  script: { required: ['run'], optional: ['workingDirectory', 'shell', 'timeout', 'redirectTo'] },
  'cli/runNpmCommand': { required: ['args'], optional: ['workingDirectory'] },
  'teamsApp/validateManifest': { required: ['manifestPath'], optional: [] },
  'teamsApp/zipAppPackage': { required: ['manifestPath', 'outputZipPath', 'outputFolder'], optional: [] },
  'teamsApp/validateAppPackage': { required: ['appPackagePath'], optional: [] },
  'teamsApp/update': { required: ['appPackagePath'], optional: [] },
  'teamsApp/publishAppPackage': {
    required: ['appPackagePath'],
    optional: [],
    write: { required: ['publishedAppId'], optional: [] },
  },
  'file/createOrUpdateEnvironmentFile': { required: ['envs', 'target'], optional: [] },
};

function placeholders(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  if (Array.isArray(value)) return value.flatMap(placeholders);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(placeholders);
  return [];
}

function templates(action: Action): { path: string; parameters?: string; deploymentName: string }[] {
  return (action.with?.templates ?? []) as { path: string; parameters?: string; deploymentName: string }[];
}

/** Variables the action reads: its own ${{…}}, and those of the files it fills in. */
function inputsOf(action: Action): string[] {
  const names = [...placeholders(action.with), ...placeholders(action.env)];
  if (action.uses === 'arm/deploy')
    for (const t of templates(action)) if (t.parameters) names.push(...placeholders(read(t.parameters)));
  if (action.uses === 'teamsApp/validateManifest' || action.uses === 'teamsApp/zipAppPackage')
    names.push(...placeholders(read(action.with!.manifestPath as string)));
  return names;
}

/** Variables the action writes to env/.env.<name>. */
function outputsOf(action: Action): string[] {
  const names = Object.values(action.writeToEnvironmentFile ?? {});
  if (action.uses === 'arm/deploy') {
    for (const t of templates(action))
      names.push(
        ...parseBicep(read(t.path))
          .declarations.filter((d) => d.keyword === 'output')
          .map((d) => d.name),
      );
  }
  if (action.uses === 'script')
    names.push(...[...String(action.with!.run).matchAll(/::set-teamsfx-env ([A-Z][A-Z0-9_]*)=/g)].map((m) => m[1]!));
  return names;
}

const documentedSecrets = new Set([...read('env/.env.example').matchAll(/^(SECRET_[A-Z0-9_]+)=/gm)].map((m) => m[1]!));

/**
 * Variables an action writes but that may be used, empty, before it runs: CONTAINER_IMAGE is written
 * by deploy, and provision reads it (empty: everything but the container app is created).
 */
const EMPTY_BEFORE_WRITTEN = new Set(['CONTAINER_IMAGE']);

/** Every variable the project file's actions write. */
function allOutputs(project: ProjectFile): Set<string> {
  return new Set(
    [...(project.provision ?? []), ...(project.deploy ?? []), ...(project.publish ?? [])].flatMap(outputsOf),
  );
}

/**
 * Replays provision, then deploy (which starts from what provision wrote), then publish; returns
 * the uses that nothing defines at that point. A variable an action writes counts as undefined
 * until that action ran, even when env/.env.<name> lists it (empty, in a fresh clone).
 */
function unresolved(project: ProjectFile, env: string): string[] {
  const written = allOutputs(project);
  const start = new Set(
    Object.keys(parseEnv(read(`env/.env.${env}`))).filter((k) => !written.has(k) || EMPTY_BEFORE_WRITTEN.has(k)),
  );
  const problems: string[] = [];
  const replay = (stage: 'provision' | 'deploy' | 'publish', defined: Set<string>): Set<string> => {
    for (const [i, action] of (project[stage] ?? []).entries()) {
      for (const name of inputsOf(action)) {
        const ok = defined.has(name) || (SECRET_VAR.test(name) && documentedSecrets.has(name));
        if (!ok) problems.push(`${stage}[${i}] ${action.uses} uses \${{${name}}}, which nothing defines`);
      }
      for (const name of outputsOf(action)) defined.add(name);
    }
    return defined;
  };
  const provisioned = replay('provision', new Set(start));
  replay('deploy', new Set(provisioned));
  replay('publish', new Set(provisioned));
  return problems;
}

function checkShape(project: ProjectFile, file: string): void {
  assert.deepEqual(
    Object.keys(project).filter(
      (k) =>
        ![
          'version',
          'environmentFolderPath',
          'projectId',
          'additionalMetadata',
          'provision',
          'deploy',
          'publish',
        ].includes(k),
    ),
    [],
    `${file}: only the schema's top-level keys`,
  );
  assert.equal(project.version, 'v1.7');
  assert.match(
    read(file),
    /^# yaml-language-server: \$schema=https:\/\/aka\.ms\/teams-toolkit\/v1\.7\/yaml\.schema\.json\n/,
  );
  for (const stage of ['provision', 'deploy', 'publish'] as const) {
    for (const [i, action] of (project[stage] ?? []).entries()) {
      const where = `${file} ${stage}[${i}] ${action.uses}`;
      const spec = ACTIONS[action.uses];
      assert.ok(spec, `${where}: a known action`);
      const allowedKeys = ['uses', 'name', 'env', 'with', ...(spec.write ? ['writeToEnvironmentFile'] : [])];
      assert.deepEqual(
        Object.keys(action).filter((k) => !allowedKeys.includes(k)),
        [],
        `${where}: only known keys`,
      );
      const withKeys = Object.keys(action.with ?? {});
      for (const k of spec.required) assert.ok(withKeys.includes(k), `${where}: with.${k} is required`);
      assert.deepEqual(
        withKeys.filter((k) => ![...spec.required, ...spec.optional].includes(k)),
        [],
        `${where}: only known with keys`,
      );
      if (spec.write) {
        const write = action.writeToEnvironmentFile ?? {};
        const required =
          action.uses === 'aadApp/create' && action.with?.generateClientSecret === false
            ? spec.write.required.filter((k) => k !== 'clientSecret')
            : spec.write.required;
        for (const k of required) assert.ok(k in write, `${where}: writeToEnvironmentFile.${k} is required`);
        assert.deepEqual(
          Object.keys(write).filter((k) => ![...spec.write!.required, ...spec.write!.optional].includes(k)),
          [],
          `${where}: only known outputs`,
        );
        for (const [k, v] of Object.entries(write))
          assert.match(v, spec.write.secret?.includes(k) ? SECRET_VAR : ENV_VAR, `${where}: ${k} → ${v}`);
      }
      if (action.uses === 'aadApp/create')
        assert.ok(
          [
            'AzureADMyOrg',
            'AzureADMultipleOrgs',
            'AzureADandPersonalMicrosoftAccount',
            'PersonalMicrosoftAccount',
          ].includes(action.with!.signInAudience as string),
        );
      if (action.uses === 'botFramework/create') {
        for (const c of (action.with!.channels ?? []) as { name: string }[])
          assert.ok(['msteams', 'm365extensions'].includes(c.name), `${where}: channel ${c.name}`);
      }
      if (action.uses === 'arm/deploy') {
        for (const t of templates(action)) {
          assert.ok(t.deploymentName && t.path, `${where}: templates need path and deploymentName`);
          assert.ok(existsSync(join(ROOT, t.path)), `${where}: ${t.path} exists`);
          if (t.parameters) assert.ok(existsSync(join(ROOT, t.parameters)), `${where}: ${t.parameters} exists`);
        }
      }
      for (const key of ['manifestPath'])
        if (typeof action.with?.[key] === 'string')
          assert.ok(existsSync(join(ROOT, action.with[key])), `${where}: ${action.with[key]} exists`);
    }
  }
}

/** The uses of a lifecycle, in order. */
const usesOf = (actions: Action[] | undefined): string[] => (actions ?? []).map((a) => a.uses);

/** `needles` appear in `haystack` in this order (other items may come between). */
function inOrder(haystack: readonly string[], needles: readonly string[]): boolean {
  let from = 0;
  for (const n of needles) {
    const i = haystack.indexOf(n, from);
    if (i < 0) return false;
    from = i + 1;
  }
  return true;
}

const PACKAGE_STEPS = [
  'teamsApp/validateManifest',
  'teamsApp/zipAppPackage',
  'teamsApp/validateAppPackage',
  'teamsApp/update',
];

// What provision writes for the app and the bot (GUIDs, as teamsApp/create and aadApp/arm/deploy do).
const PROVISIONED = {
  TEAMS_APP_ID: '6b9c1c4e-3f0a-4d2e-9a43-0b3c5e2f7a10',
  BOT_ID: '2c1f0d3e-5b6a-4c7d-8e9f-0a1b2c3d4e5f',
};

/** Whether the checkout is a git work tree (the .gitignore checks need git). */
const inGit = ((): boolean => {
  try {
    execFileSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: ROOT, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Variables the Toolkit itself may add to an env file after a real provision. */
const TOOLKIT_MANAGED = /^(TEAMSFX_[A-Z0-9_]+|TEAMS_APP_TENANT_ID|M365_[A-Z0-9_]+|AZURE_[A-Z0-9_]+)$/;

/** Whether .gitignore ignores the path (tracked or not, existing or not). */
function gitIgnores(path: string): boolean {
  try {
    execFileSync('git', ['check-ignore', '--quiet', '--no-index', path], { cwd: ROOT, stdio: 'ignore' });
    return true;
  } catch (err) {
    if ((err as { status?: number }).status === 1) return false;
    throw err;
  }
}

describe('deploy: Agents Toolkit project files', () => {
  const hosted = load('m365agents.yml');
  const local = load('m365agents.local.yml');

  it("both parse as YAML with the v1.7 schema's actions and keys", () => {
    checkShape(hosted, 'm365agents.yml');
    checkShape(local, 'm365agents.local.yml');
    assert.equal(hosted.environmentFolderPath, './env');
  });

  it('m365agents.yml provisions the Teams app, infra/hosting.bicep and the app package, in that order', () => {
    const uses = usesOf(hosted.provision);
    assert.equal(uses[0], 'teamsApp/create');
    assert.ok(inOrder(uses, ['teamsApp/create', 'arm/deploy', ...PACKAGE_STEPS]), uses.join(', '));
    const arm = hosted.provision!.find((a) => a.uses === 'arm/deploy')!;
    assert.deepEqual(
      templates(arm).map((t) => [t.path, t.parameters]),
      [['./infra/hosting.bicep', './infra/hosting.parameters.toolkit.json']],
    );
    assert.equal(arm.with!.subscriptionId, '${{AZURE_SUBSCRIPTION_ID}}');
    assert.equal(arm.with!.resourceGroupName, '${{AZURE_RESOURCE_GROUP_NAME}}');
    const zip = hosted.provision!.find((a) => a.uses === 'teamsApp/zipAppPackage')!;
    assert.equal(
      zip.with!.outputZipPath,
      './appPackage/build/appPackage.${{TEAMSFX_ENV}}.zip',
      'where npm run package writes it too',
    );
  });

  it('m365agents.yml deploys with the Azure CLI (no Toolkit action for Container Apps): image build, stop, arm/deploy', () => {
    const deploy = hosted.deploy!;
    assert.deepEqual(usesOf(deploy), ['script', 'script', 'arm/deploy']);
    const [build, stop, arm] = deploy as [Action, Action, Action];
    assert.match(
      String(build.with!.run),
      /az acr build .*--registry "\$\{\{CONTAINER_REGISTRY_NAME\}\}" .*--file Dockerfile \./,
    );
    assert.match(
      String(build.with!.run),
      /::set-teamsfx-env CONTAINER_IMAGE=\$\{\{CONTAINER_REGISTRY_LOGIN_SERVER\}\}\/defender-audit-bot:/,
    );
    assert.match(String(stop.with!.run), /az containerapp revision deactivate /);
    for (const script of [build, stop]) {
      assert.equal(script.with!.shell, 'bash');
      assert.match(String(script.with!.run), /^set -euo pipefail\n/);
    }
    assert.deepEqual(
      templates(arm),
      templates(hosted.provision!.find((a) => a.uses === 'arm/deploy')!),
      'the same template and parameters as provision',
    );
    assert.equal(
      JSON.parse(read('infra/hosting.parameters.toolkit.json')).parameters.containerImage.value,
      '${{CONTAINER_IMAGE}}',
    );
    assert.ok(usesOf(hosted.publish).includes('teamsApp/publishAppPackage'));
  });

  it('m365agents.local.yml: single-tenant bot app, Bot Framework registration on the tunnel, .localConfigs for the bot', () => {
    const uses = usesOf(local.provision);
    assert.ok(
      inOrder(uses, ['teamsApp/create', 'aadApp/create', 'botFramework/create', ...PACKAGE_STEPS]),
      uses.join(', '),
    );
    const aad = local.provision!.find((a) => a.uses === 'aadApp/create')!;
    assert.equal(aad.with!.signInAudience, 'AzureADMyOrg');
    assert.deepEqual(aad.writeToEnvironmentFile, {
      clientId: 'BOT_ID',
      clientSecret: 'SECRET_BOT_PASSWORD',
      objectId: 'BOT_OBJECT_ID',
      tenantId: 'BOT_TENANT_ID',
    });
    const bf = local.provision!.find((a) => a.uses === 'botFramework/create')!;
    assert.equal(bf.with!.botId, '${{BOT_ID}}');
    assert.equal(bf.with!.messagingEndpoint, '${{BOT_ENDPOINT}}/api/messages');
    assert.deepEqual(bf.with!.channels, [{ name: 'msteams' }]);

    assert.deepEqual(usesOf(local.deploy), ['file/createOrUpdateEnvironmentFile']);
    const file = local.deploy![0]!.with!;
    assert.equal(file.target, './.localConfigs');
    const envs = file.envs as Record<string, string>;
    assert.equal(envs.BOT_AUTH_TYPE, 'SingleTenant');
    assert.equal(envs.HOST, '127.0.0.1', 'the tunnel reaches the bot on loopback');
    const example = read('env/.env.example');
    for (const name of Object.keys(envs))
      assert.ok(new RegExp(`^${name}=`, 'm').test(example), `${name} is a documented setting`);

    // With the values provision and the .user file provide, .localConfigs is a complete configuration.
    const committed = parseEnv(read('env/.env.local'));
    const values: Record<string, string> = {
      ...committed,
      ...PROVISIONED,
      BOT_TENANT_ID: '8d2f3c1a-0b4e-4f6a-9c7d-1e2f3a4b5c6d',
      SECRET_BOT_PASSWORD: 'bot-secret',
      SECRET_MDE_CLIENT_SECRET: 'mde-secret',
      MDE_TENANT_ID: '8d2f3c1a-0b4e-4f6a-9c7d-1e2f3a4b5c6d',
      MDE_CLIENT_ID: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    };
    const resolved = Object.fromEntries(
      Object.entries(envs).map(([k, v]) => [k, String(v).replace(PLACEHOLDER, (_m, n: string) => values[n] ?? '')]),
    );
    const config = loadConfig(resolved, ['defender']);
    assert.equal(config.bot.id, PROVISIONED.BOT_ID);
    assert.equal(config.bot.authType, 'SingleTenant');
    assert.equal(config.bot.host, '127.0.0.1');
    assert.equal(config.bot.port, 3978);
  });

  it('every ${{NAME}} used is defined by the env file, a documented SECRET_ or an earlier action', () => {
    assert.deepEqual(unresolved(hosted, 'dev'), []);
    assert.deepEqual(unresolved(local, 'local'), []);
  });

  it('the replay catches an undefined variable', () => {
    const broken: ProjectFile = {
      version: 'v1.7',
      provision: [
        {
          uses: 'botFramework/create',
          with: { botId: '${{BOT_ID}}', name: 'x', messagingEndpoint: '${{NO_SUCH_ENDPOINT}}/api/messages' },
        },
      ],
    };
    assert.deepEqual(unresolved(broken, 'local'), [
      'provision[0] botFramework/create uses ${{NO_SUCH_ENDPOINT}}, which nothing defines',
    ]);
    // BOT_ID is listed (empty) in env/.env.local, but only aadApp/create gives it a value: using it first is an error.
    const early: ProjectFile = { version: 'v1.7', provision: [broken.provision![0]!, ...local.provision!] };
    early.provision![0]!.with!.messagingEndpoint = '${{BOT_ENDPOINT}}/api/messages';
    assert.deepEqual(unresolved(early, 'local'), [
      'provision[0] botFramework/create uses ${{BOT_ID}}, which nothing defines',
    ]);
  });
});

describe('deploy: environment files', () => {
  for (const env of ['dev', 'local']) {
    it(`env/.env.${env} parses and holds no secret; git keeps it, and ignores env/.env.${env}.user`, function () {
      const vars = parseEnv(read(`env/.env.${env}`));
      assert.equal(vars.TEAMSFX_ENV, env);
      for (const key of Object.keys(vars)) {
        assert.match(key, ENV_VAR);
        assert.ok(!key.startsWith('SECRET_'), `${key} belongs in env/.env.${env}.user`);
      }
      if (!inGit) this.skip();
      assert.ok(
        !gitIgnores(`env/.env.${env}`),
        `git does not ignore env/.env.${env}: the Toolkit and npm run package need it in a fresh clone`,
      );
      assert.ok(gitIgnores(`env/.env.${env}.user`), `git ignores env/.env.${env}.user`);
    });
  }

  it('every variable of env/.env.dev and env/.env.local is used by the project files, written by an action, or a bot setting', () => {
    const example = read('env/.env.example');
    for (const [env, file] of [
      ['dev', 'm365agents.yml'],
      ['local', 'm365agents.local.yml'],
    ] as const) {
      const project = load(file);
      const actions = [...(project.provision ?? []), ...(project.deploy ?? []), ...(project.publish ?? [])];
      const used = new Set(actions.flatMap(inputsOf));
      const written = allOutputs(project);
      for (const key of Object.keys(parseEnv(read(`env/.env.${env}`)))) {
        const ok =
          used.has(key) || written.has(key) || TOOLKIT_MANAGED.test(key) || new RegExp(`^${key}=`, 'm').test(example);
        assert.ok(ok, `env/.env.${env}: ${key} is neither used, written nor a documented setting`);
      }
    }
  });

  it('git and docker ignore the secret files: env/*.user and .localConfigs', function () {
    const docker = parseDockerignore(read('.dockerignore'));
    const paths = ['env/.env.dev.user', 'env/.env.local.user', 'env/.env.staging.user', '.localConfigs'];
    for (const path of paths) assert.ok(isIgnored(docker, path), `docker ignores ${path}`);
    if (!inGit) this.skip();
    for (const path of paths) assert.ok(gitIgnores(path), `git ignores ${path}`);
  });
});

describe('deploy: npm run package', () => {
  const pkg = JSON.parse(read('package.json')) as { version: string; scripts: Record<string, string> };
  let out: string;
  before(() => {
    out = mkdtempSync(join(tmpdir(), 'app-package-'));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('is scripts/package-app.ts', () => {
    assert.equal(pkg.scripts.package, 'tsx scripts/package-app.ts');
  });

  for (const env of ['local', 'dev']) {
    it(`--env ${env}: a zip whose manifest has every placeholder filled from env/.env.${env}`, async () => {
      const r = await buildAppPackage({ env, environ: PROVISIONED, outDir: out });
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.equal(r.path, join(out, `appPackage.${env}.zip`));
      const zip = await JSZip.loadAsync(readFileSync(r.path));
      assert.deepEqual(Object.keys(zip.files).sort(), ['color.png', 'manifest.json', 'outline.png']);
      const text = await zip.file('manifest.json')!.async('string');
      assert.doesNotMatch(text, /\$\{\{/, 'no unreplaced ${{…}}');
      const manifest = JSON.parse(text) as {
        id: string;
        version: string;
        name: { short: string };
        bots: { botId: string }[];
      };
      assert.equal(manifest.id, PROVISIONED.TEAMS_APP_ID);
      assert.equal(manifest.bots[0]!.botId, PROVISIONED.BOT_ID);
      assert.equal(manifest.version, pkg.version, 'APP_VERSION defaults to package.json');
      assert.equal(manifest.name.short, env === 'local' ? 'Defender Audit (local)' : 'Defender Audit');
      assert.deepEqual(readEnvFiles(ROOT, env).files, [
        `env/.env.${env}`,
        ...(existsSync(join(ROOT, `env/.env.${env}.user`)) ? [`env/.env.${env}.user`] : []),
      ]);
    });
  }

  it('before provision (no app or bot id yet) it says which values are missing and who writes them', async () => {
    // A fresh clone: env/.env.local as committed, with the generated values still empty (a
    // developer's own env/.env.local may already hold them).
    const fresh = join(out, 'fresh');
    mkdirSync(join(fresh, 'env'), { recursive: true });
    for (const file of ['manifest.json', 'color.png', 'outline.png'])
      cpSync(join(ROOT, 'appPackage', file), join(fresh, 'appPackage', file));
    cpSync(join(ROOT, 'package.json'), join(fresh, 'package.json'));
    const committed = { ...parseEnv(read('env/.env.local')), TEAMS_APP_ID: '', BOT_ID: '' };
    writeFileSync(
      join(fresh, 'env', '.env.local'),
      Object.entries(committed)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}\n`)
        .join(''),
    );
    const r = await buildAppPackage({ env: 'local', environ: {}, root: fresh, outDir: out });
    assert.ok(!r.ok);
    assert.match(
      r.message,
      /TEAMS_APP_ID, BOT_ID are empty in env\/\.env\.local.*provision writes them \(m365agents\.local\.yml\)/s,
    );
    const bad = await buildAppPackage({ env: '../secrets', environ: {}, outDir: out });
    assert.ok(!bad.ok && /Invalid environment name/.test(bad.message));
  });

  it('the CLI: --env and --out-dir, exit 0 with the zip, exit 2 with the reason', async () => {
    const run = (
      args: string[],
      env: Record<string, string>,
    ): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'package-app.ts'), ...args], {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const ok = await run(['--env', 'local', '--out-dir', join(out, 'cli')], PROVISIONED);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(existsSync(join(out, 'cli', 'appPackage.local.zip')));
    assert.match(ok.stdout, /^Wrote .*appPackage\.local\.zip/);
    const missing = await run(['--env', 'no-such-env', '--out-dir', join(out, 'cli')], {});
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /TEAMS_APP_ID.* not set\. Fix: add them to env\/\.env\.no-such-env/);
  });
});
