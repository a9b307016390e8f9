import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/core/errors.js';
import { loadConfig, requireDefender, summarizeConfig } from '../../src/config/config.js';

const good = {
  MDE_TENANT_ID: '00000000-0000-0000-0000-000000000001',
  MDE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
  SECRET_MDE_CLIENT_SECRET: 'not-a-real-secret-value',
};

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return [...err.problems];
  }
  assert.fail('expected a ConfigError');
}

describe('config/loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(good, ['defender']);
    const d = requireDefender(c);
    assert.equal(d.apiBaseUrl, 'https://api.security.microsoft.com');
    assert.equal(d.authorityHost, 'https://login.microsoftonline.com');
    assert.equal(d.scope, 'https://api.securitycenter.microsoft.com/.default');
    assert.equal(d.backfillDays, 180);
    assert.equal(d.budgetPerMinute, 100);
    assert.equal(d.budgetPerHour, 1500);
    assert.equal(c.ingest.pollIntervalMs, 30_000);
    assert.equal(c.store.path, './data/audit.db');
    assert.equal(c.bot.port, 3978);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.defender));
  });

  it('names each missing variable with a fix', () => {
    const problems = problemsOf(() => loadConfig({}, ['defender']));
    assert.equal(problems.length, 3);
    assert.match(problems[0]!, /^MDE_TENANT_ID: is required\. Fix:/);
    assert.match(problems[1]!, /^MDE_CLIENT_ID: is required\. Fix:/);
    assert.match(problems[2]!, /^SECRET_MDE_CLIENT_SECRET: is required/);
  });

  it('reports bad values together, each with its variable', () => {
    const problems = problemsOf(() =>
      loadConfig({
        ...good,
        MDE_CLIENT_ID: 'my-app',
        MDE_PAGE_SIZE: '20000',
        MDE_POLL_INTERVAL: '30',
        MDE_API_BASE_URL: 'http://insecure.example',
        LOG_LEVEL: 'loud',
      }),
    );
    assert.deepEqual(
      new Set(problems.map((p) => p.split(':')[0])),
      new Set(['MDE_CLIENT_ID', 'MDE_PAGE_SIZE', 'MDE_API_BASE_URL', 'LOG_LEVEL', 'MDE_POLL_INTERVAL']),
    );
    assert.ok(problems.every((p) => /Fix:|must be one of/.test(p)));
  });

  it('does not require Defender settings for commands that do not need them', () => {
    const c = loadConfig({});
    assert.equal(c.defender, undefined);
    assert.throws(() => requireDefender(c), ConfigError);
  });

  it('never puts a secret in the summary', () => {
    const c = loadConfig({ ...good, SECRET_BOT_PASSWORD: 'bot-password-value' });
    const text = JSON.stringify(summarizeConfig(c));
    assert.ok(!text.includes('not-a-real-secret-value'));
    assert.ok(!text.includes('bot-password-value'));
    assert.match(text, /"clientSecret":"set"/);
  });

  it('accepts a certificate instead of a secret, and checks the thumbprint', () => {
    const env = {
      MDE_TENANT_ID: 'contoso.onmicrosoft.com',
      MDE_CLIENT_ID: good.MDE_CLIENT_ID,
      MDE_CLIENT_CERTIFICATE_PATH: '/secrets/mde.pem',
    };
    assert.match(problemsOf(() => loadConfig(env))[0]!, /^MDE_CLIENT_CERTIFICATE_THUMBPRINT: is required/);
    const c = loadConfig({ ...env, MDE_CLIENT_CERTIFICATE_THUMBPRINT: 'a'.repeat(64) });
    assert.equal(requireDefender(c).certificate?.thumbprint, 'a'.repeat(64));
  });

  it('parses the bot and command settings', () => {
    const c = loadConfig({
      BOT_ID: '22222222-2222-2222-2222-222222222222',
      SECRET_BOT_PASSWORD: 'pw',
      BOT_TENANT_ID: 'AAAAAAAA-0000-0000-0000-000000000001',
      BOT_ALLOWED_TENANTS: 'bbbbbbbb-0000-0000-0000-000000000002, aaaaaaaa-0000-0000-0000-000000000001',
      REQUESTOR_NAMES:
        '2F48B784-5DA5-4E61-9957-012D2630F1E4=SOAR playbooks; e062d1f9-2398-1234-a024-12345673a25a = Automation',
      LOG_ANALYTICS_SCHEMA: 'legacy',
      DISPLAY_TIME_ZONE: 'Europe/Amsterdam',
      HOST: '0.0.0.0',
    });
    assert.deepEqual(c.bot.allowedTenants, [
      'aaaaaaaa-0000-0000-0000-000000000001',
      'bbbbbbbb-0000-0000-0000-000000000002',
    ]);
    assert.equal(c.commands.requestorNames.get('2f48b784-5da5-4e61-9957-012d2630f1e4'), 'SOAR playbooks');
    assert.equal(c.commands.requestorNames.get('e062d1f9-2398-1234-a024-12345673a25a'), 'Automation');
    assert.equal(c.commands.kqlSchema, 'legacy');
    assert.equal(c.commands.displayTimeZone, 'Europe/Amsterdam');
    assert.equal(c.commands.rateLimitPerMinute, 20);
    assert.equal(c.bot.host, '0.0.0.0');
  });

  it('a bot id needs its tenant and secret; bad values are named', () => {
    const problems = problemsOf(() =>
      loadConfig({
        BOT_ID: '22222222-2222-2222-2222-222222222222',
        DISPLAY_TIME_ZONE: 'Mars/Olympus',
        REQUESTOR_NAMES: 'not-a-guid=x',
        LOG_ANALYTICS_SCHEMA: 'v2',
      }),
    );
    assert.deepEqual(
      new Set(problems.map((p) => p.split(':')[0])),
      new Set(['BOT_TENANT_ID', 'SECRET_BOT_PASSWORD', 'DISPLAY_TIME_ZONE', 'REQUESTOR_NAMES', 'LOG_ANALYTICS_SCHEMA']),
    );
    const msi = loadConfig({
      BOT_ID: '22222222-2222-2222-2222-222222222222',
      BOT_TENANT_ID: 'aaaaaaaa-0000-0000-0000-000000000001',
      BOT_AUTH_TYPE: 'UserAssignedMSI',
    });
    assert.equal(msi.bot.authType, 'UserAssignedMSI');
  });

  it('DIGEST_CRON: 5 fields or a nickname, checked by croner, for every command; the rest stops with the form and an example', () => {
    for (const ok of ['0 8 * * *', '30 7 * * 1-5', '@daily', '@WEEKLY', ' 0 8 * * * '])
      assert.equal(loadConfig({ DIGEST_CRON: ok }).digest.schedule.pattern, ok.trim(), ok);
    for (const [bad, why] of [
      ['61 * * * *', /not a valid cron pattern \(CronPattern: Invalid value for minute: 61\)/],
      ['0 0 8 * * *', /5 fields .*6 fields/],
      ['0 0 8 * * * 2030', /7 fields/],
      ['every morning', /2 fields/],
    ] as const) {
      const problems = problemsOf(() => loadConfig({ DIGEST_CRON: bad }));
      assert.equal(problems.length, 1, bad);
      assert.match(problems[0]!, /^DIGEST_CRON: /);
      assert.match(problems[0]!, why, bad);
      assert.match(
        problems[0]!,
        /Fix: set DIGEST_CRON to 5 fields, minute hour day-of-month month day-of-week, e\.g\. DIGEST_CRON="0 8 \* \* \*"/,
      );
    }
  });

  it("time zones are IANA names on every Node version: offsets (which Node 24's Intl accepts), empty and unknown names are refused", () => {
    for (const zone of ['+01:00', '-05:00', '\u221201:00', 'Mars/Olympus']) {
      for (const name of ['DISPLAY_TIME_ZONE', 'DIGEST_TIMEZONE', 'BUSINESS_TIME_ZONE']) {
        const problems = problemsOf(() => loadConfig({ [name]: zone }));
        assert.deepEqual(
          problems.map((p) => p.split(':')[0]),
          [name],
          `${name}=${zone}`,
        );
      }
    }
    assert.equal(loadConfig({ DIGEST_TIMEZONE: 'Europe/Amsterdam' }).digest.timeZone, 'Europe/Amsterdam');
  });

  it('Log Analytics: SQLite and no forwarding by default; workspace mode needs the workspace id; forwarding needs endpoint and DCR id', () => {
    const d = loadConfig({});
    assert.equal(d.logAnalytics.queryBackend, 'sqlite');
    assert.equal(d.logAnalytics.forward, undefined);
    assert.equal(d.logAnalytics.queryEndpoint, 'https://api.loganalytics.io/v1');
    const la = loadConfig({
      QUERY_BACKEND: 'log-analytics',
      LOG_ANALYTICS_WORKSPACE_ID: '33333333-3333-3333-3333-333333333333',
      LOG_ANALYTICS_WORKSPACE_RESOURCE_ID:
        '/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/ws',
      LOGS_INGESTION_ENDPOINT: 'https://dcr-x.westeurope-1.ingest.monitor.azure.com/',
      LOGS_DCR_IMMUTABLE_ID: `dcr-${'a'.repeat(32)}`,
    });
    assert.deepEqual(la.logAnalytics.forward, {
      endpoint: 'https://dcr-x.westeurope-1.ingest.monitor.azure.com',
      dcrImmutableId: `dcr-${'a'.repeat(32)}`,
      streamName: 'Custom-MDEMachineActions_CL',
      intervalMs: 60_000,
    });
    const problems = problemsOf(() =>
      loadConfig({
        QUERY_BACKEND: 'log-analytics',
        LOGS_DCR_IMMUTABLE_ID: 'dcr-123',
        LOG_ANALYTICS_WORKSPACE_RESOURCE_ID: 'ws',
      }),
    );
    assert.deepEqual(
      new Set(problems.map((p) => p.split(':')[0])),
      new Set([
        'LOG_ANALYTICS_WORKSPACE_ID',
        'LOG_ANALYTICS_WORKSPACE_RESOURCE_ID',
        'LOGS_INGESTION_ENDPOINT',
        'LOGS_DCR_IMMUTABLE_ID',
      ]),
    );
    assert.ok(problems.every((p) => /Fix:|must/.test(p)));
    assert.equal(
      problems.filter((p) => p.startsWith('LOGS_INGESTION_ENDPOINT')).length,
      1,
      'a missing endpoint is one problem',
    );
    const badUrl = problemsOf(() =>
      loadConfig({ LOGS_INGESTION_ENDPOINT: 'http://dce.example', LOGS_DCR_IMMUTABLE_ID: `dcr-${'a'.repeat(32)}` }),
    );
    assert.deepEqual(
      badUrl.map((p) => p.split(':')[0]),
      ['LOGS_INGESTION_ENDPOINT'],
    );
    assert.match(badUrl[0]!, /must be an https URL/);
  });

  it('every variable the configuration reads is documented in env/.env.example', () => {
    const source = readFileSync(new URL('../../src/config/config.ts', import.meta.url), 'utf8');
    const read = new Set([...source.matchAll(/\(env, (?:p, )?'([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1]!));
    assert.ok(read.size > 30, `found ${read.size} variables`);
    const example = readFileSync(new URL('../../env/.env.example', import.meta.url), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    assert.deepEqual(
      [...read].filter((v) => !documented.has(v)),
      [],
    );
  });
});
