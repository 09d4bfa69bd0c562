// The data flows one way: no folder of src/ imports, directly or through others, a folder that imports it.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/build.js';

const SRC = join(REPO_ROOT, 'src');
const IMPORT = /(?:from|import\()\s*['"](\.[^'"]+)['"]/g;

/** A file's node: its folder under src/, or the file itself for files at src/'s top. */
function nodeOf(path: string): string {
  const [first = '', ...rest] = relative(SRC, path).split('/');
  return rest.length > 0 ? first : first.replace(/\.js$/, '.ts');
}

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))) {
    const path = join(SRC, file);
    const from = nodeOf(path);
    for (const [, specifier = ''] of readFileSync(path, 'utf8').matchAll(IMPORT)) {
      const to = nodeOf(normalize(join(dirname(path), specifier)));
      if (to !== from) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
  }
  return graph;
}

/** Every cycle's path, found by depth-first search (each reported once per starting node). */
function cycles(graph: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const visit = (node: string, path: string[]): void => {
    for (const next of graph.get(node) ?? []) {
      if (next === path[0]) found.push([...path, next].join(' → '));
      else if (!path.includes(next) && next > path[0]!) visit(next, [...path, next]);
    }
  };
  for (const node of graph.keys()) visit(node, [node]);
  return found;
}

describe('src/ folders', () => {
  it('import each other one way only: no cycle between folders', () => {
    const graph = folderGraph();
    expect(graph.get('sync')).toContain('stream-api');
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(cycles(graph)).toEqual(['a → b → c → a']);
  });
});
