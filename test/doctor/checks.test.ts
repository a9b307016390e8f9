import assert from 'node:assert/strict';
import { doctorChecks, type BotCredentials, type DoctorDeps } from '../../src/doctor/checks.js';
import { runDoctor, type DoctorResult } from '../../src/doctor/index.js';
import { systemClock } from '../../src/core/clock.js';
import { buildKqlRunner } from '../../src/app/index.js';

/** What the CLI passes: main.ts's runner over the configured workspace. */
const kqlRunner: DoctorDeps['kqlRunner'] = (config, credential) =>
  buildKqlRunner(config, { clock: systemClock, azure: { credential } });

/** A valid configuration that never needs the network for the checks run here. */
const BASE = {
  MDE_TENANT_ID: '00000000-0000-0000-0000-000000000001',
  MDE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
  SECRET_MDE_CLIENT_SECRET: 'secret',
  STORE_PATH: ':memory:',
};
const BOT = {
  BOT_ID: '33333333-3333-3333-3333-333333333333',
  BOT_TENANT_ID: '44444444-4444-4444-4444-444444444444',
  SECRET_BOT_PASSWORD: 'bot-secret',
};

/** Runs the configuration check and the named one (which reads what the configuration check found). */
async function only(name: string, env: Record<string, string>, deps: Partial<DoctorDeps> = {}): Promise<DoctorResult> {
  const plan = doctorChecks(env, { kqlRunner, ...deps });
  try {
    const results = await runDoctor(plan.checks.filter((c) => c.name === 'configuration' || c.name === name));
    assert.equal(results[0]?.status, 'ok', JSON.stringify(results[0]));
    const r = results[1];
    assert.ok(r !== undefined, `no check named ${name}`);
    return r;
  } finally {
    plan.close();
  }
}

describe('doctor: checks', () => {
  it('lists the checks in order', () => {
    assert.deepEqual(
      doctorChecks({}, { kqlRunner }).checks.map((c) => c.name),
      [
        'configuration',
        'MDE token',
        'MDE permissions',
        'MDE API',
        'store',
        'Teams bot',
        'Log Analytics forwarding',
        'Log Analytics queries',
      ],
    );
  });

  describe('Teams bot', () => {
    it('gets a Bot Framework token with the bot credentials', async () => {
      const asked: BotCredentials[] = [];
      const r = await only(
        'Teams bot',
        { ...BASE, ...BOT },
        {
          botToken: (bot) => {
            asked.push(bot);
            return Promise.resolve('token');
          },
        },
      );
      assert.equal(r.status, 'ok', r.detail);
      assert.match(
        r.detail,
        /^app 33333333-3333-3333-3333-333333333333 in tenant 44444444-4444-4444-4444-444444444444 got a Bot Framework token; answering tenants: 44444444-4444-4444-4444-444444444444/,
      );
      assert.deepEqual(asked, [{ tenantId: BOT.BOT_TENANT_ID, clientId: BOT.BOT_ID, secret: BOT.SECRET_BOT_PASSWORD }]);
    });

    it('a refused sign-in fails with the fix naming the bot variables', async () => {
      const r = await only(
        'Teams bot',
        { ...BASE, ...BOT },
        { botToken: () => Promise.reject(new Error('AADSTS7000215: Invalid client secret provided.')) },
      );
      assert.equal(r.status, 'fail');
      assert.match(r.detail, /could not get a Bot Framework token: AADSTS7000215/);
      assert.match(r.fix ?? '', /BOT_ID .*BOT_TENANT_ID and SECRET_BOT_PASSWORD/);
    });

    it('without BOT_ID: a warning on loopback, a failure on another interface', async () => {
      const local = await only('Teams bot', BASE, { botToken: () => assert.fail('no token without BOT_ID') });
      assert.equal(local.status, 'warn');
      assert.match(
        local.detail,
        /BOT_ID is not set: Bot Framework authentication is off \(local use on 127\.0\.0\.1:3978 only\)/,
      );
      const exposed = await only('Teams bot', { ...BASE, HOST: '0.0.0.0' });
      assert.equal(exposed.status, 'fail');
      assert.match(exposed.detail, /^Refusing to listen on 0\.0\.0\.0 with Bot Framework authentication disabled/);
      assert.match(exposed.fix ?? '', /set BOT_ID and SECRET_BOT_PASSWORD/);
    });

    it('a managed identity cannot be checked outside Azure: skipped, saying why', async () => {
      const r = await only(
        'Teams bot',
        { ...BASE, BOT_ID: BOT.BOT_ID, BOT_TENANT_ID: BOT.BOT_TENANT_ID, BOT_AUTH_TYPE: 'UserAssignedMSI' },
        { botToken: () => assert.fail('not called') },
      );
      assert.equal(r.status, 'skip');
      assert.match(r.detail, /UserAssignedMSI .* only be obtained inside Azure/);
    });
  });

  it('an unreadable MDE_CA_CERT_FILE fails the token check with the fix', async () => {
    const r = await only('MDE token', { ...BASE, MDE_CA_CERT_FILE: '/nonexistent/ca.pem' });
    assert.equal(r.status, 'fail');
    assert.match(r.detail, /cannot read MDE_CA_CERT_FILE \/nonexistent\/ca\.pem/);
    assert.match(r.fix ?? '', /MDE_CA_CERT_FILE/);
  });

  it('a missing certificate key file fails the token check naming the certificate variables', async () => {
    const env = {
      ...BASE,
      SECRET_MDE_CLIENT_SECRET: '',
      MDE_CLIENT_CERTIFICATE_PATH: '/nonexistent/key.pem',
      MDE_CLIENT_CERTIFICATE_THUMBPRINT: 'a'.repeat(64),
    };
    const r = await only('MDE token', env);
    assert.equal(r.status, 'fail');
    assert.match(r.detail, /ENOENT/);
    assert.match(r.fix ?? '', /MDE_CLIENT_CERTIFICATE_PATH and MDE_CLIENT_CERTIFICATE_THUMBPRINT/);
  });
});
