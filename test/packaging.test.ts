// No Docker engine runs here, so the image is checked two ways: its files must agree with each
// other, and the runtime stage's steps are replayed in a temp dir and the entrypoint run as the
// platform runs it.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTATION_URL } from '../src/config.js';
import { startEmulator } from '../emulator/index.js';
import { REPO_ROOT, ensureBuilt } from './helpers/build.js';
import { assertValidMessage } from './helpers/protocol-validator.js';

const read = (name: string) => readFileSync(join(REPO_ROOT, name), 'utf8');
const packageJson = JSON.parse(read('package.json')) as {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const metadata = parse(read('metadata.yaml')) as { metadataSpecVersion: string; data: Record<string, any> };

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's stages, each a list of instructions (continuation lines joined, comments dropped). */
function dockerStages(): Instruction[][] {
  const lines = read('Dockerfile').replace(/\\\n/g, ' ').split('\n');
  const stages: Instruction[][] = [];
  for (const line of lines.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))) {
    const [, keyword = '', args = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') stages.push([]);
    stages.at(-1)?.push({ keyword: keyword.toUpperCase(), args: args.trim() });
  }
  return stages;
}

function argsOf(stage: Instruction[], keyword: string): string[] {
  return stage.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);
}

function unquote(value: string): string {
  return value.replace(/^"(.*)"$/, '$1');
}

/** The user Airbyte runs connectors as, by name or uid. */
const RUNTIME_USER = /^(airbyte|1000)$/;

/** Each shell command of a RUN instruction (split at `&&`, `||`, `;` and `|`), as words. */
function shellCommands(args: string): string[][] {
  return args
    .split(/&&|\|\||;|\|/)
    .map((command) => command.trim().split(/\s+/))
    .filter((words) => words[0] !== '');
}

/** Whether a path names the connector's code: /airbyte or under it, or relative to a WORKDIR there. */
function isCodePath(path: string): boolean {
  return !path.startsWith('/') || path === '/airbyte' || path.startsWith('/airbyte/');
}

/** Whether a chown owner (`user`, `user:group`, `:group`) names the runtime user or its group. */
function ownedByRuntimeUser(owner: string): boolean {
  return owner.split(/[:.]/).some((name) => RUNTIME_USER.test(name));
}

/** Whether a chmod mode gives write access beyond the owner (root): octal group/other digits, or a `w` added for g, o, a or all. */
function grantsWrite(mode: string): boolean {
  if (/^[0-7]+$/.test(mode))
    return mode
      .slice(-2)
      .split('')
      .some((digit) => (Number(digit) & 2) !== 0);
  return mode.split(',').some((clause) => /^([ugoa]*)[+=][^,]*w/.test(clause) && !/^u+$/.test(/^[ugoa]*/.exec(clause)![0]));
}

/** What in one shell command gives the runtime user ownership of the code or write access to it. */
function grantsInCommand([command, ...words]: string[]): string[] {
  const [subject = '', ...paths] = words.filter((word) => !word.startsWith('-'));
  const code = paths.filter(isCodePath);
  if (code.length === 0) return [];
  if (command === 'chown' && ownedByRuntimeUser(subject)) return [`chown ${subject} ${code.join(' ')}`];
  if (command === 'chmod' && grantsWrite(subject)) return [`chmod ${subject} ${code.join(' ')}`];
  return [];
}

/** What in one instruction gives the runtime user ownership of the code or write access to it. */
function grantsInInstruction({ keyword, args }: Instruction): string[] {
  if (keyword === 'RUN') return shellCommands(args).flatMap(grantsInCommand);
  if (keyword !== 'COPY' && keyword !== 'ADD') return [];
  const owner = /--chown=(\S+)/.exec(args)?.[1];
  const mode = /--chmod=(\S+)/.exec(args)?.[1];
  const found = [];
  if (owner !== undefined && ownedByRuntimeUser(owner)) found.push(`${keyword} --chown=${owner}`);
  if (mode !== undefined && grantsWrite(mode)) found.push(`${keyword} --chmod=${mode}`);
  return found;
}

const stages = dockerStages();
const runtime = stages.at(-1)!;
const entrypoint = JSON.parse(argsOf(runtime, 'ENTRYPOINT').at(-1)!) as string[];
const env = Object.fromEntries(
  argsOf(runtime, 'ENV').map((args) => {
    const [, key = '', value = ''] = /^(\w+)=(.*)$/.exec(args) ?? [];
    return [key, unquote(value)];
  }),
);
const labels = Object.fromEntries(argsOf(runtime, 'LABEL').map((args) => args.split('=').map(unquote) as [string, string]));

describe('Dockerfile, metadata.yaml and package.json agree', () => {
  it('builds in one node:20-bookworm-slim stage and runs in another', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]!.args).toMatch(/^node:20-bookworm-slim\b/);
    const build = stages[0]!.flatMap((i) => (i.keyword === 'RUN' ? [i.args] : [])).join(' && ');
    expect(build).toMatch(/npm ci --no-audit\b/);
    expect(build).toMatch(/npm run build\b/);
    expect(build).toMatch(/npm pack\b/);
  });

  it('installs production dependencies only in the runtime stage, without the optional DuckDB bindings', () => {
    const runs = argsOf(runtime, 'RUN').join(' && ');
    expect(runs).toMatch(/npm ci --omit=dev --omit=optional\b/);
    expect(Object.keys(packageJson.optionalDependencies)).toEqual(['@duckdb/node-api']);
    expect(runs).not.toMatch(/npm run build|tsc/);
    expect(argsOf(runtime, 'COPY').every((args) => args.startsWith('--from=build'))).toBe(true);
  });

  it('runs as user airbyte (uid 1000) from /airbyte, switching to it after every step that writes files', () => {
    expect(argsOf(runtime, 'USER').at(-1)).toBe('airbyte');
    expect(argsOf(runtime, 'USER').every((user) => RUNTIME_USER.test(user))).toBe(true);
    expect(argsOf(runtime, 'WORKDIR').at(-1)).toBe('/airbyte');
    const runs = argsOf(runtime, 'RUN').join(' && ');
    // node:20-bookworm-slim's uid 1000 is `node`: renaming it gives airbyte that uid.
    expect(runs).toContain('usermod --login airbyte');
    const afterUser = runtime.slice(runtime.findIndex((instruction) => instruction.keyword === 'USER'));
    expect(afterUser.filter((instruction) => ['RUN', 'COPY', 'ADD'].includes(instruction.keyword))).toEqual([]);
  });

  it('leaves the code to root: no chown or chmod gives the runtime user ownership of it or write access to it', () => {
    expect(runtime.flatMap(grantsInInstruction)).toEqual([]);
    expect(argsOf(runtime, 'RUN').join(' && ')).toMatch(/chmod -R u=rwX,go=rX \/airbyte\b/);
  });

  it('runs no npm command with --force, which makes npm warn while the image builds', () => {
    const runs = stages.flatMap((stage) => argsOf(stage, 'RUN'));
    const npmCommands = runs.flatMap(shellCommands).filter(([command]) => command === 'npm');
    expect(npmCommands.length).toBeGreaterThan(0);
    expect(npmCommands.filter((words) => words.includes('--force') || words.includes('-f'))).toEqual([]);
  });

  it('has no `# syntax` directive, which makes BuildKit fetch a frontend from Docker Hub before reading the file', () => {
    const directives = read('Dockerfile')
      .split('\n')
      .filter((line) => /^#\s*syntax\s*=/i.test(line.trim()));
    expect(directives).toEqual([]);
  });

  it('sets AIRBYTE_ENTRYPOINT to the absolute ENTRYPOINT joined with spaces', () => {
    expect(env.AIRBYTE_ENTRYPOINT).toBe(entrypoint.join(' '));
    expect(entrypoint[0]).toBe('node');
    expect(entrypoint[1]).toBe(`/airbyte/integration_code/${packageJson.bin[packageJson.name]}`);
  });

  it('labels the image with the dockerRepository and dockerImageTag of metadata.yaml, the package version', () => {
    expect(labels['io.airbyte.name']).toBe(metadata.data.dockerRepository);
    expect(labels['io.airbyte.version']).toBe(metadata.data.dockerImageTag);
    expect(metadata.data.dockerImageTag).toBe(packageJson.version);
  });

  it('copies into the build stage only files that exist', () => {
    for (const args of argsOf(stages[0]!, 'COPY')) {
      const sources = args.split(/\s+/).slice(0, -1);
      for (const source of sources) expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
    }
  });

  it('has the metadata fields Airbyte requires', () => {
    expect(metadata.metadataSpecVersion).toBe('1.0');
    expect(metadata.data).toMatchObject({
      name: expect.any(String),
      definitionId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      connectorType: 'source',
      connectorSubtype: 'api',
      dockerRepository: `airbyte/${packageJson.name}`,
      license: packageJson.license,
      documentationUrl: DOCUMENTATION_URL,
      githubIssueLabel: packageJson.name,
      releaseStage: 'alpha',
      maxSecondsBetweenMessages: expect.any(Number),
    });
    expect(metadata.data.allowedHosts.hosts).toContain('${base_url}');
    expect(metadata.data.tags).toContain('language:typescript');
  });

  it('keeps node_modules and dist out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist']));
  });
});

/** The packed package unpacked into `dir` with the lock file, then installed with `omit` left out. */
function installPackage(work: string, dir: string, omit: string[]): void {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO_ROOT, encoding: 'utf8' })) as Array<{
    filename: string;
  }>;
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, packed[0]!.filename), '-C', dir, '--strip-components=1']);
  cpSync(join(REPO_ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
  const flags = omit.map((kind) => `--omit=${kind}`);
  execFileSync('npm', ['ci', ...flags, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'ignore' });
}

describe('the packed package', () => {
  it('ships the compiled code and no source map, even one a former build left in dist/', async () => {
    await ensureBuilt();
    const stale = join(REPO_ROOT, 'dist', 'stale-from-an-earlier-build.js.map');
    writeFileSync(stale, '{}');
    try {
      const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: REPO_ROOT, encoding: 'utf8' })) as Array<{
        files: Array<{ path: string }>;
      }>;
      const paths = packed[0]!.files.map((file) => file.path);
      expect(paths).toContain('dist/main.js');
      expect(paths.filter((path) => path.endsWith('.map'))).toEqual([]);
    } finally {
      rmSync(stale);
    }
  });
});

describe('package-lock.json', () => {
  it("is one `npm ci` accepts: in step with package.json, every platform's optional entries kept", () => {
    const dir = mkdtempSync(join(tmpdir(), 'source-stream-chat-lock-'));
    try {
      for (const file of ['package.json', 'package-lock.json']) cpSync(join(REPO_ROOT, file), join(dir, file));
      const result = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8' });
      expect(
        result.stderr
          .split('\n')
          .filter((line) => line.startsWith('npm error'))
          .slice(0, 3)
          .join('\n'),
      ).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the runtime stage, replayed without Docker', () => {
  let work: string;
  let integrationCode: string;

  beforeAll(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'source-stream-chat-image-'));
    integrationCode = join(work, 'airbyte', 'integration_code');
    // The runtime stage's own install step.
    installPackage(work, integrationCode, ['dev', 'optional']);
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs the dependencies and none of the devDependencies, nor the DuckDB bindings', () => {
    for (const name of Object.keys(packageJson.dependencies)) expect(existsSync(join(integrationCode, 'node_modules', name)), name).toBe(true);
    for (const name of Object.keys(packageJson.devDependencies)) expect(existsSync(join(integrationCode, 'node_modules', name)), name).toBe(false);
    expect(existsSync(join(integrationCode, 'node_modules', '@duckdb')), 'node_modules/@duckdb').toBe(false);
  });

  /** `sync` run from the runtime stage's install, with `env` added to this process's environment. */
  function syncInImage(env: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), 'config-dir-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ api_key: 'key', api_secret: 'not-a-real-secret', base_url: 'http://127.0.0.1:9' }));
    const result = spawnSync(process.execPath, [join(integrationCode, 'dist', 'main.js'), 'sync', '--config', 'config.json', '--duckdb', 'chat.duckdb'], {
      cwd: dir,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    return { ...result, wroteDatabase: existsSync(join(dir, 'chat.duckdb')) };
  }

  it('answers sync inside the image (AIRBYTE_ENTRYPOINT set) with one line saying it is not part of the image and what to run instead, exit 1', () => {
    const result = syncInImage({ AIRBYTE_ENTRYPOINT: env.AIRBYTE_ENTRYPOINT! });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^error: sync \(local DuckDB mode\) is not part of this image, .*; run it with `npx source-stream-chat sync …` on a machine .*\n$/,
    );
    expect(result.wroteDatabase).toBe(false);
  });

  it('answers sync in an install without optional dependencies, outside the image, with one line naming what is missing, exit 1', () => {
    const result = syncInImage({ AIRBYTE_ENTRYPOINT: '' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^error: sync needs DuckDB's bindings for .* \(the optional dependency @duckdb\/node-api\), which this installation left out; .*\n$/,
    );
    expect(result.wroteDatabase).toBe(false);
  });

  it('prints one valid SPEC equal to spec.json through sh -c eval "$AIRBYTE_ENTRYPOINT spec", from another directory', () => {
    const entry = env.AIRBYTE_ENTRYPOINT!.replace('/airbyte/integration_code', integrationCode);
    const result = spawnSync('sh', ['-c', 'eval "$AIRBYTE_ENTRYPOINT spec"'], {
      cwd: mkdtempSync(join(tmpdir(), 'config-dir-')),
      env: { PATH: process.env.PATH ?? '', AIRBYTE_ENTRYPOINT: entry },
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    const message = JSON.parse(lines[0]!) as { type: string; spec: unknown };
    assertValidMessage(message);
    expect(message.type).toBe('SPEC');
    expect(message.spec).toEqual(JSON.parse(read('spec.json')));
  });

  it('loads every module of the package with production dependencies only', () => {
    const dist = join(integrationCode, 'dist');
    const modules = (function list(dir: string): string[] {
      return readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? list(path) : name.endsWith('.js') && name !== 'main.js' ? [path] : [];
      });
    })(dist);
    expect(modules.length).toBeGreaterThan(10);
    const script = `for (const m of ${JSON.stringify(modules.map((m) => `./${relative(integrationCode, m)}`))}) await import(m);`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: integrationCode, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  });
});

describe('the npm package, installed with its optional dependencies as `npm install` does', () => {
  let work: string;
  let packageDir: string;

  beforeAll(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'source-stream-chat-package-'));
    packageDir = join(work, 'package');
    installPackage(work, packageDir, ['dev']);
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runs sync into a DuckDB file against the emulator', async () => {
    expect(existsSync(join(packageDir, 'node_modules', '@duckdb', 'node-api'))).toBe(true);
    const emulator = await startEmulator({ seed: 7, channels: 2, messagesPerChannel: 10, taskLatencyMs: 20 });
    try {
      const config = join(work, 'config.json');
      writeFileSync(config, JSON.stringify({ api_key: emulator.apiKey, api_secret: emulator.apiSecret, base_url: emulator.url, poll_interval_seconds: 0.05 }));
      const database = join(work, 'chat.duckdb');
      const child = spawn(process.execPath, [join(packageDir, 'dist', 'main.js'), 'sync', '--config', config, '--duckdb', database], { cwd: work });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
      const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(status, stdout).toBe(0);
      expect(stdout).toMatch(/^Synced 5 stream\(s\) into .*chat\.duckdb/);
      const messages = stdout.split('\n').find((line) => line.trim().startsWith('messages'));
      expect(messages?.trim().split(/\s+/)[2]).toBe(String(emulator.data.counts().messages));
    } finally {
      await emulator.close();
    }
  }, 60_000);
});
