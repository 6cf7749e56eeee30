import { describe, expect, it } from 'vitest';
import { planContainerPath, PROTECTED_TREES, validateContainerPath } from '../src/spec/container-path.js';
import { SpecError } from '../src/spec/parse.js';

const SANDBOX = '/var/lib/mesos/slaves/S1/frameworks/F1/executors/E1/runs/R1';

describe('planContainerPath', () => {
  it('plans no bind for an empty path', () => {
    expect(planContainerPath('', SANDBOX)).toEqual({ kind: 'none' });
  });

  it('resolves relative paths under the sandbox, to be created there', () => {
    expect(planContainerPath('data', SANDBOX)).toEqual({ kind: 'sandbox', path: `${SANDBOX}/data` });
    expect(planContainerPath('a/b.c', `${SANDBOX}/`)).toEqual({ kind: 'sandbox', path: `${SANDBOX}/a/b.c` });
    expect(planContainerPath('.cache', SANDBOX)).toEqual({ kind: 'sandbox', path: `${SANDBOX}/.cache` });
  });

  it('plans paths under /tmp/ for creation', () => {
    expect(planContainerPath('/tmp/vol', SANDBOX)).toEqual({ kind: 'tmp', path: '/tmp/vol' });
    expect(planContainerPath('/tmp/a/b', SANDBOX)).toEqual({ kind: 'tmp', path: '/tmp/a/b' });
  });

  it('requires other absolute paths to exist, /tmp itself included', () => {
    expect(planContainerPath('/data', SANDBOX)).toEqual({ kind: 'existing', path: '/data' });
    expect(planContainerPath('/var/lib/mysql', SANDBOX)).toEqual({ kind: 'existing', path: '/var/lib/mysql' });
    expect(planContainerPath('/tmp', SANDBOX)).toEqual({ kind: 'existing', path: '/tmp' });
    expect(planContainerPath('/tmpfoo/x', SANDBOX)).toEqual({ kind: 'existing', path: '/tmpfoo/x' });
  });

  it('refuses paths the rules refuse', () => {
    for (const bad of ['/', '../x', 'a/../../x', '/tmp/../etc', '/tmp//x', '/tmp/x/', '/etc/cron.d', '-x']) {
      expect(() => planContainerPath(bad, SANDBOX), bad).toThrow(SpecError);
    }
  });

  it('refuses a relative sandbox directory', () => {
    expect(() => planContainerPath('data', 'runs/R1')).toThrow('sandbox directory "runs/R1" is not an absolute path');
  });
});

describe('validateContainerPath', () => {
  it('names the field it was given', () => {
    try {
      validateContainerPath('/a b', 'containerPath');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SpecError);
      expect((err as SpecError).message).toMatch(/^containerPath: character ' ' at position 3 in "\/a b"/);
    }
  });

  it('refuses every protected tree, anything under one, and anything above one', () => {
    for (const tree of PROTECTED_TREES) {
      expect(() => validateContainerPath(tree), tree).toThrow(`would cover the system directory ${tree}`);
      expect(() => validateContainerPath(`${tree}/sub`), tree).toThrow(SpecError);
    }
    for (const ancestor of ['/var', '/var/lib']) {
      expect(() => validateContainerPath(ancestor), ancestor).toThrow('would cover the system directory');
    }
  });

  it('allows ordinary data directories, including look-alikes of protected names', () => {
    for (const ok of ['/data', '/mnt/vol', '/srv/app', '/opt/app/data', '/home/app', '/var/lib/mysql', '/var/log/app', '/etcd', '/usrdata', '/runner']) {
      expect(() => validateContainerPath(ok), ok).not.toThrow();
    }
  });
});
