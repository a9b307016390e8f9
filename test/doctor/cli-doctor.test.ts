import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { createHttpHeaders, type HttpClient, type PipelineRequest } from '@azure/core-rest-pipeline';
import { runCli, type Io } from '../../src/app/cli/run.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';

/** Runs the real CLI in this process and captures what it prints. */
async function cli(
  args: string[],
  env: Record<string, string>,
  extra: Partial<Io> = {},
): Promise<{ code: number; out: string; err: string; lines: string[] }> {
  let out = '';
  let err = '';
  const code = await runCli(args, env, {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    tty: false,
    ...extra,
  });
  return { code, out, err, lines: out.trimEnd().split('\n') };
}

/** The line of one check. */
function line(lines: string[], name: string): string {
  const found = lines.find((l) => l.slice(2).startsWith(`${name}:`) || l.slice(2).startsWith(`${name} (skipped`));
  assert.ok(found !== undefined, `no line for "${name}" in:\n${lines.join('\n')}`);
  return found;
}

describe('doctor: the CLI against the simulator', function () {
  this.timeout(60_000);
  let dir: string;
  const sims: Simulator[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dab-doctor-'));
  });
  after(async () => {
    for (const s of sims) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function simulator(options: Parameters<typeof createSimulator>[0] = {}): Promise<Record<string, string>> {
    const sim = createSimulator({ generate: { devices: 5, days: 2 }, throttle: false, ...options });
    sims.push(sim);
    const endpoint = await sim.start({ caCertFile: join(dir, `ca-${sims.length}.pem`) });
    return { ...endpoint.env, LOG_LEVEL: 'silent' };
  }

  it('all checks pass against a healthy simulator (Log Analytics skipped) and it exits 0', async () => {
    const env = { ...(await simulator()), STORE_PATH: join(dir, 'healthy', 'audit.db') };
    // Before the first ingest: no store yet is a warning, not a failure.
    const before = await cli(['doctor'], env);
    assert.equal(before.code, 0, before.out + before.err);
    assert.match(
      line(before.lines, 'store'),
      /^! store: no store at .*audit\.db yet — Fix: It is created by the first "defender-audit-bot ingest --once"/,
    );

    const ingest = await cli(['ingest', '--once'], env);
    assert.equal(ingest.code, 0, ingest.err);
    const r = await cli(['doctor'], env);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(r.err, '');
    assert.equal(r.lines.length, 9, 'eight checks and the summary');
    assert.ok(!r.lines.some((l) => l.startsWith('✖')), r.out);
    assert.match(
      line(r.lines, 'configuration'),
      /^✔ configuration: MDE tenant 00000000-0000-0000-0000-000000000001, app 11111111-1111-1111-1111-111111111111 \(client secret\), API https:\/\/127\.0\.0\.1:\d+/,
    );
    assert.match(
      line(r.lines, 'MDE token'),
      /^✔ MDE token: signed in to https:\/\/127\.0\.0\.1:\d+\/00000000-0000-0000-0000-000000000001 .* valid for (59|60) min$/,
    );
    assert.equal(line(r.lines, 'MDE permissions'), '✔ MDE permissions: roles: Machine.Read.All');
    assert.match(
      line(r.lines, 'MDE API'),
      /^✔ MDE API: GET https:\/\/127\.0\.0\.1:\d+\/api\/machineactions\?\$top=1 returned 1 action$/,
    );
    assert.match(
      line(r.lines, 'store'),
      /^✔ store: .*audit\.db: schema version \d+, \d[\d,]* actions, last successful ingest \d{4}-\d\d-\d\dT.*\(just now\)$/,
    );
    assert.match(line(r.lines, 'Teams bot'), /^! Teams bot: BOT_ID is not set: Bot Framework authentication is off/);
    assert.equal(
      line(r.lines, 'Log Analytics forwarding'),
      '- Log Analytics forwarding (skipped: not configured: LOGS_INGESTION_ENDPOINT is not set)',
    );
    assert.equal(
      line(r.lines, 'Log Analytics queries'),
      '- Log Analytics queries (skipped: not configured: QUERY_BACKEND is sqlite)',
    );
    assert.equal(r.lines.at(-1), '5 ok, 1 warning, 0 failed, 2 skipped');
  });

  it('a token without Machine.Read.All fails the permissions check with the fix, and it exits 1', async () => {
    const env = { ...(await simulator({ roles: [] })), STORE_PATH: join(dir, 'noroles', 'audit.db') };
    const r = await cli(['doctor'], env);
    assert.equal(r.code, 1, r.out);
    assert.match(line(r.lines, 'MDE token'), /^✔ /);
    assert.equal(
      line(r.lines, 'MDE permissions'),
      "✖ MDE permissions: the token's roles claim grants none; missing Machine.Read.All (needed to list machine actions) — Fix: In Entra ID → App registrations → 11111111-1111-1111-1111-111111111111 → API permissions, add WindowsDefenderATP → Application → Machine.Read.All and grant admin consent.",
    );
    assert.match(line(r.lines, 'MDE API'), /^✖ MDE API: Defender API denied access \(403/);
    assert.match(r.lines.at(-1) ?? '', /2 failed/);
  });

  it('Machine.ReadWrite.All is accepted; extra write permissions are a least-privilege warning', async () => {
    const env = {
      ...(await simulator({ roles: ['Machine.ReadWrite.All', 'Machine.Isolate'] })),
      STORE_PATH: join(dir, 'rw', 'audit.db'),
    };
    const r = await cli(['doctor'], env);
    assert.equal(r.code, 0, r.out);
    assert.equal(
      line(r.lines, 'MDE permissions'),
      "! MDE permissions: roles: Machine.ReadWrite.All, Machine.Isolate; the bot only reads, and Machine.Read.All is all it needs — Fix: Remove Machine.ReadWrite.All, Machine.Isolate from the app registration's API permissions (least privilege) unless another tool uses this app.",
    );
    assert.match(line(r.lines, 'MDE API'), /^✔ /);
  });

  it('a wrong client secret fails the token check naming the variables; the checks that need the token are skipped', async () => {
    const env = {
      ...(await simulator()),
      SECRET_MDE_CLIENT_SECRET: 'wrong-secret',
      STORE_PATH: join(dir, 'secret', 'audit.db'),
    };
    const r = await cli(['doctor'], env);
    assert.equal(r.code, 1);
    assert.match(
      line(r.lines, 'MDE token'),
      /^✖ MDE token: Sign-in to https:\/\/127\.0\.0\.1:\d+\/00000000-0000-0000-0000-000000000001 was refused \(invalid_client\).* — Fix: Check MDE_TENANT_ID, MDE_CLIENT_ID and SECRET_MDE_CLIENT_SECRET/,
    );
    assert.equal(line(r.lines, 'MDE permissions'), '- MDE permissions (skipped: no MDE token)');
    assert.equal(line(r.lines, 'MDE API'), '- MDE API (skipped: no MDE token)');
  });

  it('a broken configuration fails the configuration check naming the variable and its fix; the rest is skipped', async () => {
    const env = { ...(await simulator()), MDE_CLIENT_ID: 'not-a-guid', STORE_PATH: join(dir, 'broken', 'audit.db') };
    const r = await cli(['doctor'], env);
    assert.equal(r.code, 1);
    assert.equal(
      line(r.lines, 'configuration'),
      '✖ configuration: MDE_CLIENT_ID: must be a GUID (got "not-a-guid") — Fix: Copy the Application (client) ID from the app registration.',
    );
    for (const l of r.lines.slice(1, -1)) assert.match(l, /^- .* \(skipped: the configuration is invalid\)$/);
    assert.equal(r.lines.at(-1), '0 ok, 0 warnings, 1 failed, 7 skipped');

    const several = await cli(['doctor'], {
      STORE_PATH: join(dir, 'broken', 'audit.db'),
      MDE_TENANT_ID: 'x y',
      PORT: 'eighty',
    });
    assert.equal(several.code, 1);
    const first = several.lines[0] ?? '';
    assert.match(
      first,
      /^✖ configuration: 4 problems: MDE_TENANT_ID: must be a tenant GUID or domain \(got "x y"\); MDE_CLIENT_ID: is required; SECRET_MDE_CLIENT_SECRET: is required .*; PORT: must be a whole number/,
    );
    assert.match(
      first,
      / — Fix: MDE_TENANT_ID: copy the Directory \(tenant\) ID .* MDE_CLIENT_ID: set it to the Application \(client\) ID .* PORT: set for example PORT=3978\.$/,
    );
  });

  it('store problems: not a store, a newer schema', async () => {
    const env = await simulator();
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not SQLite');
    const r = await cli(['doctor'], { ...env, STORE_PATH: junk });
    assert.equal(r.code, 1);
    assert.match(line(r.lines, 'store'), /^✖ store: Cannot read the store at .*junk\.db: .* — Fix: Check STORE_PATH/);

    const newer = join(dir, 'newer.db');
    const store = openSqliteStore({ path: newer });
    store.db
      .prepare(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', '2030-01-01T00:00:00.000Z')",
      )
      .run();
    store.close();
    const r2 = await cli(['doctor'], { ...env, STORE_PATH: newer });
    assert.equal(r2.code, 1);
    assert.match(
      line(r2.lines, 'store'),
      /^✖ store: .*newer\.db is at schema version 999, newer than this program knows \(\d+\) — Fix: Run the newer version/,
    );
  });

  it('Log Analytics: reports forwarding and runs "print ok = 1" through the injected Azure credential and HTTP client', async () => {
    const env = {
      ...(await simulator()),
      STORE_PATH: join(dir, 'la', 'audit.db'),
      LOGS_INGESTION_ENDPOINT: 'https://dce.example.invalid',
      LOGS_DCR_IMMUTABLE_ID: `dcr-${'0123456789abcdef'.repeat(2)}`,
      QUERY_BACKEND: 'log-analytics',
      LOG_ANALYTICS_WORKSPACE_ID: '22222222-2222-2222-2222-222222222222',
    };
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: (s) => {
        scopes.push(...(Array.isArray(s) ? s : [s]));
        return Promise.resolve({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 });
      },
    };
    const seen: PipelineRequest[] = [];
    const httpClient: HttpClient = {
      sendRequest(request) {
        seen.push(request);
        return Promise.resolve({
          request,
          status: 200,
          headers: createHttpHeaders({ 'content-type': 'application/json' }),
          bodyAsText: JSON.stringify({
            tables: [{ name: 'PrimaryResult', columns: [{ name: 'ok', type: 'long' }], rows: [[1]] }],
          }),
        });
      },
    };
    const r = await cli(['doctor'], env, { azure: { credential, httpClient } });
    assert.equal(r.code, 0, r.out);
    assert.equal(
      line(r.lines, 'Log Analytics forwarding'),
      `✔ Log Analytics forwarding: endpoint https://dce.example.invalid, rule ${env.LOGS_DCR_IMMUTABLE_ID}, stream Custom-MDEMachineActions_CL: the Azure credential got a token for https://monitor.azure.com/.default (the Monitoring Metrics Publisher role on the rule is checked by the first upload)`,
    );
    assert.match(
      line(r.lines, 'Log Analytics queries'),
      /^✔ Log Analytics queries: workspace 22222222-2222-2222-2222-222222222222 at https:\/\/api\.loganalytics\.io\/v1 answered "print ok = 1"/,
    );
    assert.ok(scopes.includes('https://monitor.azure.com/.default'), scopes.join(', '));
    assert.ok(scopes.includes('https://api.loganalytics.io/.default'), scopes.join(', '));
    assert.equal(seen.length, 1, 'one query, no upload');
    assert.match(seen[0]!.url, /\/v1\/workspaces\/22222222-2222-2222-2222-222222222222\/query$/);
    assert.equal((JSON.parse(seen[0]!.body as string) as { query: string }).query, 'print ok = 1');

    // A credential that cannot sign in, and a workspace that refuses the identity.
    const failing: TokenCredential = {
      getToken: () => Promise.reject(new Error('DefaultAzureCredential: no identity available')),
    };
    const denied: HttpClient = {
      sendRequest: (request) =>
        Promise.resolve({
          request,
          status: 403,
          headers: createHttpHeaders({ 'content-type': 'application/json' }),
          bodyAsText: JSON.stringify({
            error: { code: 'InsufficientAccessError', message: 'The provided credentials have insufficient access' },
          }),
        }),
    };
    const bad = await cli(['doctor'], env, { azure: { credential: failing, httpClient: denied } });
    assert.equal(bad.code, 1);
    assert.match(
      line(bad.lines, 'Log Analytics forwarding'),
      /^✖ Log Analytics forwarding: .*no Azure token for https:\/\/monitor\.azure\.com\/\.default: DefaultAzureCredential: no identity available — Fix: Give the bot an Azure identity/,
    );
    assert.match(line(bad.lines, 'Log Analytics queries'), /^✖ Log Analytics queries: .* — Fix: /);

    const denyOnly = await cli(['doctor'], env, { azure: { credential, httpClient: denied } });
    assert.match(
      line(denyOnly.lines, 'Log Analytics queries'),
      /^✖ Log Analytics queries: .*(403|insufficient access).* — Fix: /i,
    );
  });

  it('doctor --help and a bad option', async () => {
    const help = await cli(['doctor', '--help'], {});
    assert.equal(help.code, 0);
    assert.match(help.out, /Usage: defender-audit-bot doctor \[--deep\] \[--env FILE\]/);
    assert.match((await cli(['--help'], {})).out, /^ {2}doctor +check the configuration/m);
    const bad = await cli(['doctor', '--frobnicate'], {});
    assert.equal(bad.code, 2);
  });
});
