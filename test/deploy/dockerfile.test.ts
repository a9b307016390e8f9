import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join, posix, relative } from 'node:path';
import { defaultCardsDir } from '../../src/cards/templates.js';
import { loadConfig } from '../../src/config/config.js';
import { ROOT } from '../support/child.js';
import {
  type Instruction,
  isIgnored,
  keyValues,
  parseDockerfile,
  parseDockerignore,
  type Stage,
} from './dockerfile.js';

/**
 * The container image: Dockerfile and .dockerignore.
 *
 * No Docker engine runs in the test environment, so the image is not built here. The Dockerfile is
 * read structurally (./dockerfile.ts) and checked against what the application needs: the build
 * stage compiles (npm ci, npm run build, npm prune --omit=dev), the runtime stage runs
 * dist/cli.js start as an unprivileged user with the store on the /data volume, the port matches
 * the configuration's default, the card templates land where the code looks for them, and the
 * HEALTHCHECK command really works (it is run here against a loopback server).
 */

const dockerfileText = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const dockerfile = parseDockerfile(dockerfileText);
const ignoreRules = parseDockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));

function only(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const i of only(stage, 'ENV')) for (const [k, v] of keyValues(i.args)) env.set(k, v);
  return env;
}

const build = dockerfile.stages.find((s) => s.name === 'build')!;
const runtime = dockerfile.stages.at(-1)!;

function runNode(args: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

describe('deploy: Dockerfile', () => {
  it('parses: known instructions, ARG before the first FROM only, no dangling continuation', () => {
    assert.deepEqual(dockerfile.problems, []);
    assert.equal(dockerfile.instructions[0]!.keyword, 'ARG');
    assert.ok(dockerfile.instructions.filter((i) => i.stage === -1).every((i) => i.keyword === 'ARG'));
    assert.match(dockerfileText, /^# syntax=docker\/dockerfile:1\n/, 'the BuildKit syntax directive comes first');
  });

  it('is multi-stage: build and runtime from node:24-bookworm-slim', () => {
    assert.deepEqual(
      dockerfile.stages.map((s) => `${s.image} AS ${s.name ?? '?'}`),
      ['${NODE_IMAGE} AS build', '${NODE_IMAGE} AS runtime'],
    );
    const arg = keyValues(dockerfile.instructions[0]!.args);
    assert.equal(arg.get('NODE_IMAGE'), 'node:24-bookworm-slim');
    // package.json's engines is what the image's Node 24 must satisfy.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, '^22.12.0 || >=24');
  });

  it('build stage: no toolchain (better-sqlite3 ships its addon for both Linux architectures), npm ci from the lockfile, npm run build, then prune dev dependencies', () => {
    const runs = only(build, 'RUN').map((r) => r.args);
    assert.ok(!runs.some((r) => r.includes('apt-get install')), 'installs no packages');
    // What makes that safe: the installed better-sqlite3 runs no install script and carries a
    // prebuilt Node-API addon for each architecture Azure Container Apps runs (glibc, as in bookworm).
    const sqlite = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
      gypfile?: boolean;
    };
    assert.equal(sqlite.scripts?.install, undefined);
    assert.notEqual(sqlite.gypfile, true);
    for (const arch of ['linux-x64', 'linux-arm64'])
      assert.ok(
        existsSync(join(ROOT, 'node_modules', 'better-sqlite3', 'prebuilds', `${arch}.node`)),
        `prebuilt addon for ${arch}`,
      );

    const order = (needle: RegExp): number =>
      build.instructions.findIndex((i) => needle.test(`${i.keyword} ${i.args}`));
    const copyManifests = order(/^COPY package\.json package-lock\.json /);
    const ci = order(/^RUN npm ci\b/);
    const copySrc = order(/^COPY src /);
    const compile = order(/^RUN npm run build\b/);
    assert.ok(copyManifests >= 0 && ci > copyManifests, 'npm ci runs after copying package.json and the lockfile');
    assert.ok(copySrc > ci, 'sources are copied after npm ci (dependency layer cached)');
    assert.ok(compile > copySrc, 'npm run build compiles the copied sources');
    const buildRun = build.instructions[compile]!.args;
    assert.ok(
      buildRun.indexOf('npm prune --omit=dev') > buildRun.indexOf('npm run build'),
      'prunes dev dependencies after the build',
    );
    assert.ok(buildRun.includes('test -f dist/cli.js'), 'fails the build if dist/cli.js is missing');
  });

  it('npm run build produces dist/cli.js: tsconfig rootDir src, outDir dist, and the package bin', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    assert.equal(pkg.scripts.build, 'tsc -p tsconfig.json');
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
      include: string[];
    };
    assert.equal(tsconfig.compilerOptions.rootDir, 'src');
    assert.equal(tsconfig.compilerOptions.outDir, 'dist');
    assert.deepEqual(tsconfig.include, ['src/**/*.ts']);
    assert.equal(pkg.bin['defender-audit-bot'], 'dist/cli.js');
    // The build stage copies exactly what tsc and the runtime need.
    const copied = only(build, 'COPY').flatMap((c) => c.args.split(' ').slice(0, -1));
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'cards', 'appPackage'])
      assert.ok(copied.includes(needed), `COPY ${needed}`);
  });

  it('everything the build copies is in the build context (.dockerignore keeps it)', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'src/cli.ts',
      'src/cards/templates.ts',
      'cards/actions.json',
      'appPackage/manifest.json',
      'appPackage/color.png',
      'Dockerfile',
    ]) {
      assert.ok(!isIgnored(ignoreRules, path), `${path} is in the context`);
    }
  });

  it('runtime stage: production files only, card templates where defaultCardsDir() looks for them', () => {
    const copies = only(runtime, 'COPY').map((c) => c.args);
    assert.ok(
      copies.every((c) => c.startsWith('--from=build ')),
      'copies only from the build stage',
    );
    const targets = new Map(copies.map((c) => c.split(' ').slice(1) as [string, string]));
    assert.deepEqual([...targets.keys()].sort(), [
      '/app/appPackage',
      '/app/cards',
      '/app/dist',
      '/app/node_modules',
      '/app/package.json',
    ]);
    assert.equal(only(runtime, 'WORKDIR').at(-1)?.args, '/app');
    // dist/cards/templates.js mirrors src/cards/templates.ts (rootDir src); its cards folder is ../../cards.
    const fromSrc = relative(join(ROOT, 'src', 'cards'), defaultCardsDir())
      .split('\\')
      .join('/');
    assert.equal(fromSrc, '../../cards');
    assert.equal(posix.resolve('/app/dist/cards', fromSrc), '/app/cards');
    assert.equal(targets.get('/app/cards'), './cards');
  });

  it('runtime stage: a non-root USER (uid 10001) owns /data, set before CMD', () => {
    const users = only(runtime, 'USER');
    assert.equal(users.length, 1);
    const user = users[0]!;
    assert.ok(!['root', '0', '0:0'].includes(user.args), `USER ${user.args} is not root`);
    const cmd = only(runtime, 'CMD')[0]!;
    assert.ok(user.line < cmd.line, 'USER comes before CMD');
    assert.ok(
      runtime.instructions.slice(runtime.instructions.indexOf(user) + 1).every((i) => i.keyword !== 'USER'),
      'nothing switches back',
    );
    const setup = only(runtime, 'RUN')
      .map((r) => r.args)
      .join(' && ');
    assert.match(setup, new RegExp(`groupadd --system --gid 10001 ${user.args}\\b`));
    assert.match(setup, new RegExp(`useradd --system --uid 10001 --gid ${user.args}\\b.* ${user.args}(?: |$)`));
    assert.match(setup, new RegExp(`chown ${user.args}:${user.args} /data`));
  });

  it('runtime stage: ENV for production, the store on VOLUME /data, EXPOSE the default PORT', () => {
    const env = envOf(runtime);
    assert.equal(env.get('NODE_ENV'), 'production');
    assert.equal(env.get('STORE_PATH'), '/data/audit.db');
    assert.equal(env.get('HOST'), '0.0.0.0');
    assert.equal(env.get('PORT'), '3978');
    assert.deepEqual(
      only(runtime, 'VOLUME').map((v) => v.args),
      ['/data'],
    );
    assert.ok(env.get('STORE_PATH')!.startsWith('/data/'), 'STORE_PATH is on the volume');
    const defaultPort = loadConfig({}).bot.port;
    assert.equal(defaultPort, 3978, 'the configuration default');
    assert.deepEqual(
      only(runtime, 'EXPOSE').map((e) => e.args),
      [String(defaultPort)],
    );
    assert.equal(env.get('PORT'), String(defaultPort));
  });

  it('runtime stage: NODE_OPTIONS caps the heap at 256 MB, and Node accepts the options', async () => {
    const options = envOf(runtime).get('NODE_OPTIONS')!;
    assert.ok(options.split(' ').includes('--max-old-space-size=256'), options);
    assert.match(
      dockerfileText,
      /~300 MB RSS with a 160 MB\s+#\s+heap/,
      'the measurement behind the limit is written down',
    );
    // Node refuses to start with an option that is not allowed in NODE_OPTIONS.
    assert.equal(await runNode(['-e', '0'], { NODE_OPTIONS: options }), 0);
  });

  it('HEALTHCHECK requests /healthz with node itself, and exits 0 on 200, 1 on 503 or no server', async () => {
    const checks = only(runtime, 'HEALTHCHECK');
    assert.equal(checks.length, 1);
    const exec = checks[0]!.exec;
    assert.ok(exec, 'exec form');
    assert.deepEqual(exec.slice(0, 2), ['node', '-e']);
    const script = exec[2]!;
    assert.ok(script.includes('/healthz'));
    assert.ok(script.includes('process.env.PORT'), 'follows PORT');
    assert.match(checks[0]!.args, /--interval=\d+s --timeout=\d+s --start-period=\d+s --retries=\d+/);

    let status = 200;
    let paths: string[] = [];
    const server: Server = createServer((req, res) => {
      paths.push(req.url ?? '');
      // Not chained: restify (loaded by other tests in this process) patches writeHead to return nothing.
      res.writeHead(status);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = String((server.address() as AddressInfo).port);
    try {
      assert.equal(await runNode(['-e', script], { PORT: port }), 0, 'healthy on 200');
      status = 503;
      assert.equal(await runNode(['-e', script], { PORT: port }), 1, 'unhealthy on 503');
      assert.deepEqual(paths, ['/healthz', '/healthz']);
    } finally {
      await new Promise((r) => server.close(r));
    }
    paths = [];
    assert.equal(await runNode(['-e', script], { PORT: port }), 1, 'unhealthy when nothing listens');
  });

  it('CMD runs dist/cli.js start (exec form, the bin the build produced)', () => {
    const cmds = only(runtime, 'CMD');
    assert.equal(cmds.length, 1);
    assert.deepEqual(cmds[0]!.exec, ['node', 'dist/cli.js', 'start']);
    assert.equal(only(runtime, 'ENTRYPOINT').length, 0);
    assert.equal(runtime.instructions.at(-1)!.keyword, 'CMD');
  });
});

describe('deploy: .dockerignore', () => {
  it('keeps secrets, local data and host builds out of the build context', () => {
    for (const path of [
      'env/.env.dev.user',
      'env/.env.local.user',
      '.localConfigs',
      'data',
      'data/audit.db',
      'data/simulator-ca.pem',
      'audit.db',
      'somewhere/audit.db-wal',
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'dist/cli.js',
      '.node/node-v24.22.3-linux-x64/bin/node',
      '.git/config',
      'bench/out/ingest.db',
      'devTools/teamsapptester/cli.js',
      'test/fixtures/key.pem',
      'appPackage/build/appPackage.dev.zip',
    ]) {
      assert.ok(isIgnored(ignoreRules, path), `${path} is excluded`);
    }
  });

  it("the matcher follows Docker's rules (anchored patterns, ** and ! exceptions)", () => {
    const rules = parseDockerignore('*.md\n!README.md\n**/*.tmp\nlogs/\n');
    assert.ok(isIgnored(rules, 'NOTES.md'));
    assert.ok(!isIgnored(rules, 'README.md'), '! re-includes');
    assert.ok(!isIgnored(rules, 'docs/NOTES.md'), '*.md is anchored at the root');
    assert.ok(isIgnored(rules, 'a/b/c.tmp') && isIgnored(rules, 'c.tmp'), '**/ matches in any folder, the root too');
    assert.ok(isIgnored(rules, 'logs/x/y.txt'), 'a matched folder excludes its contents');
  });
});
