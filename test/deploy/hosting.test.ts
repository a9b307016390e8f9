import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/child.js';
import {
  arrayItems,
  type Declaration,
  objectProperties,
  parseBicep,
  property,
  references,
  text,
  type Token,
} from '../infra/bicep.js';
import { keyValues, parseDockerfile } from './dockerfile.js';

/**
 * infra/hosting.bicep: Azure Container Apps hosting, the managed identity and the Azure Bot.
 *
 * No Bicep compiler is available offline, so the template is checked structurally with the
 * tokenizer of test/infra/bicep.ts (comments and strings handled, brackets balanced, declarations
 * well formed, every reference declared, only known functions), then for the resource types, API
 * versions and properties the deployment relies on. Run `az bicep build --file infra/hosting.bicep`
 * for a full compile.
 */

const INFRA = join(ROOT, 'infra');
const bicep = parseBicep(readFileSync(join(INFRA, 'hosting.bicep'), 'utf8'));
const decls = bicep.declarations;

function find(keyword: Declaration['keyword'], name: string): Declaration {
  const d = decls.find((x) => x.keyword === keyword && x.name === name);
  assert.ok(d, `${keyword} ${name} is declared`);
  return d;
}

const at = (value: readonly Token[], path: string): string => text(property(value, path.split('.')));

/** name → value text of an array of `{ name: …, value: … }` objects (the container's env). */
function envList(items: readonly Token[][]): Map<string, { value?: string; secretRef?: string }> {
  const out = new Map<string, { value?: string; secretRef?: string }>();
  for (const item of items) {
    const props = objectProperties(item);
    const name = text(props.get('name')!).replace(/^'|'$/g, '');
    assert.ok(!out.has(name), `${name} is set once`);
    out.set(name, {
      ...(props.has('value') ? { value: text(props.get('value')!) } : {}),
      ...(props.has('secretRef') ? { secretRef: text(props.get('secretRef')!) } : {}),
    });
  }
  return out;
}

const app = find('resource', 'app');
const container = objectProperties(arrayItems(property(app.value, ['properties', 'template', 'containers']))[0]!);
const botEnv = envList(arrayItems(find('var', 'botEnv').value));
const runtime = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).stages.at(-1)!;

describe('deploy: infra/hosting.bicep', () => {
  it('is structurally sound (tokens, brackets, declarations, references, functions)', () => {
    assert.deepEqual(bicep.problems, []);
    assert.equal(text(find('targetScope', 'targetScope').value), "'resourceGroup'");
    for (const d of decls.filter((x) => x.keyword === 'param' || x.keyword === 'output')) {
      assert.ok(
        d.decorators.some((x) => x.name === 'description'),
        `${d.keyword} ${d.name} has a @description`,
      );
    }
  });

  it('declares exactly the expected resources, types and API versions', () => {
    assert.deepEqual(
      decls
        .filter((d) => d.keyword === 'resource')
        .map((d) => `${d.name} ${d.resourceType!}${d.condition ? ` if ${text(d.condition)}` : ''}`),
      [
        'identity Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31',
        'registry Microsoft.ContainerRegistry/registries@2023-07-01',
        'acrPull Microsoft.Authorization/roleAssignments@2022-04-01',
        'storage Microsoft.Storage/storageAccounts@2023-05-01',
        'fileService Microsoft.Storage/storageAccounts/fileServices@2023-05-01',
        'share Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01',
        'appEnvironment Microsoft.App/managedEnvironments@2024-03-01',
        'appEnvironmentStorage Microsoft.App/managedEnvironments/storages@2024-03-01',
        'app Microsoft.App/containerApps@2024-03-01 if ! empty(containerImage)',
        'bot Microsoft.BotService/botServices@2022-09-15',
        'teamsChannel Microsoft.BotService/botServices/channels@2022-09-15',
      ],
    );
  });

  it('marks every secret parameter @secure() and uses it only as a Container Apps secret', () => {
    const params = decls.filter((d) => d.keyword === 'param');
    const secure = params.filter((d) => d.decorators.some((x) => x.name === 'secure'));
    assert.deepEqual(
      secure.map((d) => d.name),
      ['mdeClientSecret'],
    );
    for (const p of params) {
      if (/secret|password|key/i.test(p.name)) assert.ok(secure.includes(p), `${p.name} is @secure()`);
    }
    assert.equal(text(find('param', 'mdeClientSecret').value), '', 'no default value');
    // Only the app's configuration.secrets reads it; outputs and env values never do.
    const users = decls.filter((d) => references(d.value).some((t) => t.text === 'mdeClientSecret')).map((d) => d.name);
    assert.deepEqual(users, ['app']);
    const secrets = arrayItems(property(app.value, ['properties', 'configuration', 'secrets'])).map((s) =>
      objectProperties(s),
    );
    assert.deepEqual(
      secrets.map((s) => `${text(s.get('name')!)}=${text(s.get('value')!)}`),
      ["'mde-client-secret'=mdeClientSecret"],
    );
    assert.deepEqual(botEnv.get('SECRET_MDE_CLIENT_SECRET'), { secretRef: "'mde-client-secret'" });
    for (const [name, v] of botEnv)
      if (name !== 'SECRET_MDE_CLIENT_SECRET')
        assert.ok(v.value !== undefined && v.secretRef === undefined, `${name} is a plain value`);
  });

  it('a user-assigned identity is the bot, the registry puller and the Azure credential', () => {
    const identityKeys = [...objectProperties(property(app.value, ['identity', 'userAssignedIdentities'])).keys()];
    assert.deepEqual(identityKeys, ['${identity.id}']);
    assert.equal(at(app.value, 'identity.type'), "'UserAssigned'");
    assert.equal(botEnv.get('BOT_ID')?.value, 'identity.properties.clientId');
    assert.equal(botEnv.get('BOT_AUTH_TYPE')?.value, "'UserAssignedMSI'");
    assert.equal(botEnv.get('BOT_TENANT_ID')?.value, 'identity.properties.tenantId');
    assert.equal(
      botEnv.get('AZURE_CLIENT_ID')?.value,
      'identity.properties.clientId',
      'DefaultAzureCredential picks this identity',
    );
    assert.ok(!botEnv.has('SECRET_BOT_PASSWORD'), 'no bot password with a managed identity');

    const registries = arrayItems(property(app.value, ['properties', 'configuration', 'registries'])).map((r) =>
      objectProperties(r),
    );
    assert.equal(text(registries[0]!.get('identity')!), 'identity.id');
    const acrPull = find('resource', 'acrPull');
    assert.equal(at(acrPull.value, 'scope'), 'registry');
    assert.equal(at(acrPull.value, 'properties.principalId'), 'identity.properties.principalId');
    assert.equal(
      text(find('var', 'acrPullRoleId').value),
      "'7f951dda-4ed3-4680-a7ca-43fe172d538d'",
      'the built-in AcrPull role',
    );
    assert.deepEqual(
      arrayItems(property(app.value, ['dependsOn'])).map(text),
      ['acrPull'],
      'the role exists before the first pull',
    );
    assert.equal(at(find('resource', 'registry').value, 'properties.adminUserEnabled'), 'false');
  });

  it('the Azure Bot: azurebot, F0/S1, UserAssignedMSI with the identity, endpoint https://<app FQDN>/api/messages, Teams channel', () => {
    const bot = find('resource', 'bot').value;
    assert.equal(at(bot, 'kind'), "'azurebot'");
    assert.equal(at(bot, 'location'), "'global'");
    assert.equal(at(bot, 'sku.name'), 'botSku');
    assert.deepEqual(
      find('param', 'botSku')
        .decorators.filter((d) => d.name === 'allowed')
        .map((d) => arrayItems(d.args).map(text)),
      [["'F0'", "'S1'"]],
    );
    assert.equal(at(bot, 'properties.msaAppType'), "'UserAssignedMSI'");
    assert.equal(at(bot, 'properties.msaAppId'), 'identity.properties.clientId');
    assert.equal(at(bot, 'properties.msaAppTenantId'), 'identity.properties.tenantId');
    assert.equal(at(bot, 'properties.msaAppMSIResourceId'), 'identity.id');
    assert.equal(at(bot, 'properties.endpoint'), "'https://${appFqdn}/api/messages'");
    assert.equal(text(find('var', 'appFqdn').value), "'${appName}.${appEnvironment.properties.defaultDomain}'");
    assert.equal(at(app.value, 'name'), 'appName', 'the FQDN is computed from the same name');

    const channel = find('resource', 'teamsChannel').value;
    assert.equal(at(channel, 'parent'), 'bot');
    assert.equal(at(channel, 'name'), "'MsTeamsChannel'");
    assert.equal(at(channel, 'properties.channelName'), "'MsTeamsChannel'");
    assert.equal(at(channel, 'properties.properties.isEnabled'), 'true');
  });

  it("the container app: one replica, external HTTPS ingress to the image's port", () => {
    const port = text(find('var', 'port').value);
    const exposed = runtime.instructions.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args);
    assert.deepEqual(exposed, [port], 'targets the port the image exposes');
    assert.equal(at(app.value, 'properties.configuration.ingress.targetPort'), 'port');
    assert.equal(at(app.value, 'properties.configuration.ingress.external'), 'true');
    assert.equal(at(app.value, 'properties.configuration.ingress.allowInsecure'), 'false');
    assert.equal(at(app.value, 'properties.configuration.activeRevisionsMode'), "'Single'");
    assert.equal(at(app.value, 'properties.template.scale.maxReplicas'), '1', 'SQLite: a single replica');
    assert.equal(
      at(app.value, 'properties.template.scale.minReplicas'),
      '1',
      'ingest runs in the process: never scale to zero',
    );
    assert.equal(text(container.get('image')!), 'containerImage');
    assert.equal(botEnv.get('PORT')?.value, 'string(port)');
    assert.equal(botEnv.get('HOST')?.value, "'0.0.0.0'");
    assert.equal(
      text(find('param', 'containerImage').value),
      "''",
      'empty by default: the first provision has no image yet',
    );
  });

  it('probes: Liveness GET /healthz on the port; Startup and Readiness on the TCP port', () => {
    const probes = arrayItems(container.get('probes')!).map((p) => objectProperties(p));
    const byType = new Map(probes.map((p) => [text(p.get('type')!), p]));
    assert.deepEqual([...byType.keys()].sort(), ["'Liveness'", "'Readiness'", "'Startup'"]);
    const liveness = byType.get("'Liveness'")!;
    assert.equal(at(liveness.get('httpGet')!, 'path'), "'/healthz'");
    assert.equal(at(liveness.get('httpGet')!, 'port'), 'port');
    for (const type of ["'Startup'", "'Readiness'"])
      assert.equal(at(byType.get(type)!.get('tcpSocket')!, 'port'), 'port');
    // Container Apps limits: failureThreshold 1-10, periodSeconds 1-240, initialDelaySeconds 0-60, timeoutSeconds 1-240.
    for (const p of probes) {
      const num = (k: string): number | undefined => (p.has(k) ? Number(text(p.get(k)!)) : undefined);
      const check = (k: string, min: number, max: number): void => {
        const v = num(k);
        if (v !== undefined) assert.ok(v >= min && v <= max, `${text(p.get('type')!)} ${k}=${v} within ${min}-${max}`);
      };
      check('failureThreshold', 1, 10);
      check('periodSeconds', 1, 240);
      check('initialDelaySeconds', 0, 60);
      check('timeoutSeconds', 1, 240);
    }
  });

  it("the SQLite store lives on an Azure Files volume at /data, owned by the image's user", () => {
    const mounts = arrayItems(container.get('volumeMounts')!).map((m) => objectProperties(m));
    assert.deepEqual(
      mounts.map((m) => `${text(m.get('volumeName')!)} ${text(m.get('mountPath')!)}`),
      ["'data' '/data'"],
    );
    const volumes = arrayItems(property(app.value, ['properties', 'template', 'volumes'])).map((v) =>
      objectProperties(v),
    );
    assert.equal(volumes.length, 1);
    assert.equal(text(volumes[0]!.get('name')!), "'data'");
    assert.equal(text(volumes[0]!.get('storageType')!), "'AzureFile'");
    assert.equal(text(volumes[0]!.get('storageName')!), 'appEnvironmentStorage.name');
    assert.equal(text(volumes[0]!.get('mountOptions')!), 'dataMountOptions');

    const storeEnv = botEnv.get('STORE_PATH')?.value;
    assert.equal(storeEnv, "'/data/audit.db'");
    const imageEnv = keyValues(
      runtime.instructions
        .filter((i) => i.keyword === 'ENV')
        .map((i) => i.args)
        .join(' '),
    );
    assert.equal(`'${imageEnv.get('STORE_PATH')!}'`, storeEnv, 'the same path as the image');

    const uid = text(find('var', 'botUid').value);
    assert.equal(uid, '10001');
    assert.match(
      readFileSync(join(ROOT, 'Dockerfile'), 'utf8'),
      new RegExp(`useradd [^\\n]*--uid ${uid}\\b`),
      'the Dockerfile user',
    );
    const options = find('var', 'dataMountOptions').value[0]!;
    assert.equal(options.kind, 'string');
    const rendered = options
      .parts!.map((p, i) => p + (i < options.holes!.length ? text(options.holes![i]!) : ''))
      .join('');
    assert.deepEqual(rendered.split(','), ['uid=botUid', 'gid=botUid', 'dir_mode=0700', 'file_mode=0600', 'nobrl']);

    const envStorage = find('resource', 'appEnvironmentStorage').value;
    assert.equal(at(envStorage, 'parent'), 'appEnvironment');
    assert.equal(at(envStorage, 'properties.azureFile.accountName'), 'storage.name');
    assert.equal(at(envStorage, 'properties.azureFile.accountKey'), 'storage.listKeys().keys[0].value');
    assert.equal(at(envStorage, 'properties.azureFile.shareName'), 'share.name');
    assert.equal(at(envStorage, 'properties.azureFile.accessMode'), "'ReadWrite'");
    assert.equal(at(find('resource', 'share').value, 'properties.enabledProtocols'), "'SMB'");
  });

  it("sets the bot's configuration: every variable it sets is one the bot (or the Azure SDK) reads", () => {
    const example = readFileSync(join(ROOT, 'env', '.env.example'), 'utf8');
    for (const name of [
      'MDE_TENANT_ID',
      'MDE_CLIENT_ID',
      'SECRET_MDE_CLIENT_SECRET',
      'MDE_API_BASE_URL',
      'MDE_AUTHORITY_HOST',
      'BOT_ID',
      'BOT_AUTH_TYPE',
      'BOT_TENANT_ID',
      'AZURE_CLIENT_ID',
      'HOST',
      'PORT',
      'STORE_PATH',
      'LOG_LEVEL',
    ]) {
      assert.ok(botEnv.has(name), `sets ${name}`);
    }
    for (const name of botEnv.keys())
      assert.ok(new RegExp(`\\b${name}\\b`).test(example), `${name} is documented in env/.env.example`);
    assert.equal(
      text(container.get('env')!),
      'concat(extraEnv,botEnv)',
      "appSettings first, so the template's own values come last",
    );
    const extra = find('var', 'extraEnv').value;
    assert.equal(
      text(
        extra.slice(
          0,
          extra.findIndex((t) => t.text === '{'),
        ),
      ),
      '[for setting in items(appSettings):',
    );
    const item = objectProperties(
      extra.slice(
        extra.findIndex((t) => t.text === '{'),
        -1,
      ),
    );
    assert.deepEqual(
      [...item].map(([k, v]) => `${k}=${text(v)}`),
      ['name=setting.key', 'value=string(setting.value)'],
    );
  });

  it("outputs the endpoint, the identity's principal id (for loganalytics.bicep) and the app FQDN, in UPPER_SNAKE_CASE", () => {
    const outputs = new Map(decls.filter((d) => d.keyword === 'output').map((d) => [d.name, text(d.value)]));
    for (const name of outputs.keys())
      assert.match(name, /^[A-Z][A-Z0-9_]*$/, 'the Toolkit writes outputs to env/.env.<name> under these names');
    assert.equal(outputs.get('BOT_ID'), 'identity.properties.clientId');
    assert.equal(outputs.get('BOT_TENANT_ID'), 'identity.properties.tenantId');
    assert.equal(outputs.get('BOT_MESSAGING_ENDPOINT'), 'bot.properties.endpoint');
    assert.equal(outputs.get('BOT_ENDPOINT'), "'https://${appFqdn}'");
    assert.equal(outputs.get('BOT_IDENTITY_PRINCIPAL_ID'), 'identity.properties.principalId');
    assert.equal(outputs.get('CONTAINER_APP_FQDN'), 'appFqdn');
    // infra/loganalytics.bicep takes the object id as principalId.
    const la = parseBicep(readFileSync(join(INFRA, 'loganalytics.bicep'), 'utf8'));
    assert.ok(la.declarations.some((d) => d.keyword === 'param' && d.name === 'principalId'));
  });

  it('parameter files: only declared parameters, every required one, no secret in the example', () => {
    const params = new Map(decls.filter((d) => d.keyword === 'param').map((d) => [d.name, d]));
    const required = [...params.values()].filter((d) => d.value.length === 0).map((d) => d.name);
    assert.deepEqual(required.sort(), ['mdeClientId', 'mdeClientSecret', 'mdeTenantId']);
    type ParamsFile = { $schema: string; parameters: Record<string, { value: unknown }> };
    const load = (file: string): ParamsFile => JSON.parse(readFileSync(join(INFRA, file), 'utf8')) as ParamsFile;

    const example = load('hosting.parameters.example.json');
    assert.match(example.$schema, /deploymentParameters\.json#$/);
    for (const name of Object.keys(example.parameters)) assert.ok(params.has(name), `${name} is a parameter`);
    assert.ok(
      !('mdeClientSecret' in example.parameters),
      'the secret is passed on the command line (or prompted), not stored',
    );
    for (const name of required.filter((n) => n !== 'mdeClientSecret'))
      assert.ok(name in example.parameters, `example sets ${name}`);

    const toolkit = load('hosting.parameters.toolkit.json');
    for (const name of Object.keys(toolkit.parameters)) assert.ok(params.has(name), `${name} is a parameter`);
    for (const name of required) assert.ok(name in toolkit.parameters, `toolkit parameters set ${name}`);
    assert.equal(
      toolkit.parameters.mdeClientSecret!.value,
      '${{SECRET_MDE_CLIENT_SECRET}}',
      'from env/.env.<name>.user',
    );
    const allowed = (name: string): string[] =>
      params
        .get(name)!
        .decorators.filter((d) => d.name === 'allowed')
        .flatMap((d) => arrayItems(d.args).map((t) => text(t).replace(/'/g, '')));
    for (const [name, { value }] of Object.entries(example.parameters)) {
      if (allowed(name).length > 0)
        assert.ok(allowed(name).includes(String(value)), `${name}=${String(value)} is allowed`);
    }
    // Container Apps (Consumption) takes cpu and memory in fixed pairs.
    const pairs = new Map([
      ['0.25', '0.5Gi'],
      ['0.5', '1Gi'],
      ['0.75', '1.5Gi'],
      ['1', '2Gi'],
    ]);
    assert.deepEqual(allowed('cpu'), [...pairs.keys()]);
    assert.deepEqual(allowed('memory'), [...pairs.values()]);
    const defaults = `${text(params.get('cpu')!.value)} ${text(params.get('memory')!.value)}`;
    assert.equal(defaults, "'0.5' '1Gi'");
    assert.equal(
      pairs.get(String(example.parameters.cpu!.value)),
      example.parameters.memory!.value,
      'the example pairs cpu and memory',
    );
  });
});
