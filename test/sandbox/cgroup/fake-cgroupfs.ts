// A directory laid out like a cgroup2 mount, for testing the v2 manager at the file level (this
// machine cannot run cgroup2 with controllers). It does what the kernel does with the files the
// manager touches: mkdir creates a group's interface files, a pid written to cgroup.procs leaves
// every other group, subtree_control takes "+ctrl" lists, rmdir refuses a group with processes
// or children and removes its interface files. Everything else is plain file I/O.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CgroupFs } from '../../../src/sandbox/cgroup/types.js';

const INTERFACE: Record<string, string> = {
  'cgroup.procs': '',
  'cgroup.controllers': '',
  'cgroup.subtree_control': '',
  'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n',
  'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
};

function errno(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

export class FakeCgroup2 implements CgroupFs {
  readonly mount: string;

  constructor(mount: string) {
    this.mount = mount;
    mkdirSync(mount, { recursive: true });
    this.populate(mount, 'cpuset cpu io memory hugetlb pids rdma misc');
  }

  /** mountinfo + /proc/self/cgroup texts saying this process lives in `group`. */
  procTexts(group: string): { mountinfo: string; cgroup: string } {
    return {
      mountinfo: `41 31 0:38 / ${this.mount} rw,relatime - cgroup2 cgroup2 rw\n`,
      cgroup: `0::${group}\n`,
    };
  }

  mkdir(path: string): void {
    if (existsSync(path)) throw errno('EEXIST', path);
    mkdirSync(path);
    const parent = readFileSync(join(path, '..', 'cgroup.subtree_control'), 'utf8').trim();
    this.populate(path, parent);
  }

  rmdir(path: string): void {
    if (!existsSync(path)) throw errno('ENOENT', path);
    if (this.children(path).length > 0 || this.procs(path).length > 0) throw errno('EBUSY', path);
    for (const name of readdirSync(path)) rmSync(join(path, name));
    rmdirSync(path);
  }

  write(path: string, value: string): void {
    if (!existsSync(path)) throw errno('ENOENT', path); // the kernel never creates files
    const name = path.slice(path.lastIndexOf('/') + 1);
    const dir = path.slice(0, path.lastIndexOf('/'));
    if (name === 'cgroup.procs') {
      for (const group of this.allGroups(this.mount)) {
        const file = join(group, 'cgroup.procs');
        writeFileSync(file, this.procs(group).filter((p) => p !== value).map((p) => `${p}\n`).join(''));
      }
      writeFileSync(path, [...this.procs(dir), value].map((p) => `${p}\n`).join(''));
      return;
    }
    if (name === 'cgroup.subtree_control') {
      if (dir !== this.mount && this.procs(dir).length > 0) throw errno('EBUSY', path);
      const set = new Set(readFileSync(path, 'utf8').trim().split(/\s+/).filter(Boolean));
      const available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
      for (const token of value.trim().split(/\s+/)) {
        const ctrl = token.slice(1);
        if (!available.includes(ctrl)) throw errno('ENOENT', path);
        if (token.startsWith('+')) set.add(ctrl);
        else set.delete(ctrl);
      }
      writeFileSync(path, `${[...set].join(' ')}\n`);
      for (const child of this.children(dir)) this.populate(join(dir, child), [...set].join(' '));
      return;
    }
    writeFileSync(path, `${value}\n`);
  }

  read(path: string): string {
    return readFileSync(path, 'utf8');
  }

  exists(path: string): boolean {
    return existsSync(path);
  }

  children(path: string): string[] {
    return readdirSync(path, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  }

  /** The kernel's side: an OOM kill in `group`. */
  recordOomKill(group: string): void {
    const file = join(group, 'memory.events');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^oom_kill (\d+)$/m, (_, n: string) => `oom_kill ${Number(n) + 1}`));
  }

  /**
   * Group paths relative to the mount, for assertions; the running server's mark on its root
   * (root-owner.ts, tested in root-owner.test.ts) is left out.
   */
  tree(): string[] {
    return this.allGroups(this.mount)
      .map((g) => `/${relative(this.mount, g)}`)
      .filter((g) => !/\/_server-\d+-\d+$/.test(g))
      .sort();
  }

  procs(group: string): string[] {
    return readFileSync(join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
  }

  private allGroups(dir: string): string[] {
    return [dir, ...this.children(dir).flatMap((c) => this.allGroups(join(dir, c)))];
  }

  /** Interface files of a group whose parent enabled `controllers`. */
  private populate(dir: string, controllers: string): void {
    const enabled = controllers.split(/\s+/).filter(Boolean);
    const files: Record<string, string> = { ...INTERFACE, 'cgroup.controllers': `${enabled.join(' ')}\n` };
    if (enabled.includes('memory')) Object.assign(files, { 'memory.max': 'max\n', 'memory.swap.max': 'max\n', 'memory.oom.group': '0\n', 'memory.current': '0\n', 'memory.peak': '0\n' });
    if (enabled.includes('pids')) files['pids.max'] = 'max\n';
    if (enabled.includes('cpu')) Object.assign(files, { 'cpu.max': 'max 100000\n', 'cpu.weight': '100\n' });
    for (const [name, content] of Object.entries(files)) {
      const file = join(dir, name);
      if (name === 'cgroup.controllers' || !existsSync(file)) writeFileSync(file, content);
    }
  }
}
