// No Docker engine runs here, so the image is checked two ways: its files must agree with each
// other, and the runtime stage's steps are replayed in a temp dir and the entrypoint run as the
// platform runs it.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTATION_URL } from '../src/config.js';
import { REPO_ROOT, ensureBuilt } from './helpers/build.js';
import { assertValidMessage } from './helpers/protocol-validator.js';

const read = (name: string) => readFileSync(join(REPO_ROOT, name), 'utf8');
const packageJson = JSON.parse(read('package.json')) as {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
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
    expect(build).toMatch(/npm install --no-audit\b/);
    expect(build).toMatch(/npm run build\b/);
    expect(build).toMatch(/npm pack\b/);
  });

  it('installs production dependencies only in the runtime stage', () => {
    const runs = argsOf(runtime, 'RUN').join(' && ');
    expect(runs).toMatch(/npm install --omit=dev\b/);
    expect(runs).not.toMatch(/npm run build|tsc/);
    expect(argsOf(runtime, 'COPY').every((args) => args.startsWith('--from=build'))).toBe(true);
  });

  it('runs as user airbyte (uid 1000) from /airbyte, owning it', () => {
    expect(argsOf(runtime, 'USER').at(-1)).toBe('airbyte');
    expect(argsOf(runtime, 'WORKDIR').at(-1)).toBe('/airbyte');
    const runs = argsOf(runtime, 'RUN').join(' && ');
    // node:20-bookworm-slim's uid 1000 is `node`: renaming it gives airbyte that uid.
    expect(runs).toContain('usermod --login airbyte');
    expect(runs).toContain('chown -R airbyte:airbyte /airbyte');
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
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist']));
  });
});

describe('the runtime stage, replayed without Docker', () => {
  let work: string;
  let integrationCode: string;

  beforeAll(async () => {
    await ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'source-stream-chat-image-'));
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO_ROOT, encoding: 'utf8' })) as Array<{ filename: string }>;
    integrationCode = join(work, 'airbyte', 'integration_code');
    mkdirSync(integrationCode, { recursive: true });
    execFileSync('tar', ['-xzf', join(work, packed[0]!.filename), '-C', integrationCode, '--strip-components=1']);
    cpSync(join(REPO_ROOT, 'package-lock.json'), join(integrationCode, 'package-lock.json'));
    // The runtime stage's own install step.
    execFileSync('npm', ['install', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: integrationCode, stdio: 'ignore' });
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs the dependencies and none of the devDependencies', () => {
    for (const name of Object.keys(packageJson.dependencies)) expect(existsSync(join(integrationCode, 'node_modules', name)), name).toBe(true);
    for (const name of Object.keys(packageJson.devDependencies)) expect(existsSync(join(integrationCode, 'node_modules', name)), name).toBe(false);
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
