import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The folder each non-test source file of a folder imports from (`../<folder>/…`). */
function folderImports(root: string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const folder of readdirSync(root).filter((f) => statSync(path.join(root, f)).isDirectory())) {
    const uses = new Set<string>();
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) walk(file);
        else if (name.endsWith('.ts') && !name.endsWith('.spec.ts')) {
          for (const m of readFileSync(file, 'utf8').matchAll(/from '((?:\.\.\/)+[a-z-]+)[/']/g)) {
            const target = path.relative(root, path.resolve(path.dirname(file), m[1])).split(path.sep)[0];
            if (target !== folder && !target.startsWith('..')) uses.add(target);
          }
        }
      }
    };
    walk(path.join(root, folder));
    graph.set(folder, uses);
  }
  return graph;
}

/** A cycle through the graph as a path (`a -> b -> a`), or undefined. */
function findCycle(graph: Map<string, Set<string>>): string | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (node: string): string | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...trail.slice(trail.indexOf(node)), node].join(' -> ');
    state.set(node, 'open');
    trail.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe("suppression's folders", () => {
  it('import each other without cycles (the engine below projection, feed, snapshots and the HTTP shell)', () => {
    const graph = folderImports(__dirname);
    expect(graph.get('engine')).toEqual(new Set());
    expect(graph.get('projection')).toContain('engine');
    expect(findCycle(graph)).toBeUndefined();
  });

  it('reach the engine through its index only', () => {
    const deep: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) {
          if (name !== 'engine') walk(file);
        } else if (name.endsWith('.ts') && /from '(\.\.\/)+engine\//.test(readFileSync(file, 'utf8'))) {
          deep.push(path.relative(__dirname, file));
        }
      }
    };
    walk(__dirname);
    expect(deep).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
    ]);
    expect(findCycle(graph)).toBe('a -> b -> c -> a');
  });
});
