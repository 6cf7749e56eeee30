import { posix } from 'node:path';
import { showValue } from './display.js';
import { SpecError } from './error.js';
import { checkText, describeOffender, findOffender } from './text.js';

/*
 * A container path is where the root-run bind puts the volume inside the
 * container's mount namespace. It is checked as text here; existence and
 * symbolic links are checked later on the host.
 */

const PATH_CHAR = /^[A-Za-z0-9/_.\-@+]$/;

export const CONTAINER_PATH_RULE =
  'container paths use letters, digits and / _ . - @ +, are written normalised (no "//", "." or ".." parts, no trailing "/") and no part starts with "-"';

/**
 * Trees a volume may not cover, nor any directory holding them. Command tasks
 * share the host's files apart from their mount namespace, so a volume bound
 * over these would let a task replace what setuid programs and the root-run
 * setup read (passwords, sudoers, libraries, binaries, kernel interfaces).
 */
export const PROTECTED_TREES: readonly string[] = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/var/db',
  '/var/lib/sudo',
  '/var/lock',
  '/var/run',
];

const within = (path: string, tree: string): boolean => path === tree || path.startsWith(`${tree}/`);

/** The empty string is valid: it asks for no bind. */
export function validateContainerPath(value: string, field = 'container path'): void {
  checkText(value, field);
  if (value === '') return;
  const bad = findOffender(value, (ch) => PATH_CHAR.test(ch));
  if (bad) throw new SpecError(field, `${describeOffender(bad)} in ${showValue(value)} is not allowed: ${CONTAINER_PATH_RULE}`);
  if (value === '/') throw new SpecError(field, 'a volume cannot be bound over "/"');
  const absolute = value.startsWith('/');
  const parts = (absolute ? value.slice(1) : value).split('/');
  parts.forEach((part, index) => {
    let problem: string | undefined;
    if (part === '') problem = index === parts.length - 1 ? 'ends with "/"' : 'has "//"';
    else if (part === '.' || part === '..') problem = `has a "${part}" part`;
    else if (part.startsWith('-')) problem = `has a part starting with "-" ("${part}")`;
    if (problem) throw new SpecError(field, `${showValue(value)} ${problem}: ${CONTAINER_PATH_RULE}`);
  });
  if (absolute) {
    const tree = PROTECTED_TREES.find((t) => within(value, t) || within(t, value));
    if (tree) {
      throw new SpecError(field, `${showValue(value)} would cover the system directory ${tree}; volumes may not be bound over or above ${PROTECTED_TREES.join(' ')}`);
    }
  }
}

export type PathPlan =
  | { kind: 'none' }
  | { kind: 'sandbox'; path: string }
  | { kind: 'tmp'; path: string }
  | { kind: 'existing'; path: string };

/**
 * Where a bind goes and who provides the directory: `sandbox` and `tmp` are
 * created by the caller if missing, `existing` must already be there. Relative
 * paths (Marathon sends them) resolve under the sandbox. Throws SpecError for a
 * path that `validateContainerPath` refuses.
 */
export function planContainerPath(containerPath: string, sandboxDirectory: string): PathPlan {
  validateContainerPath(containerPath);
  if (containerPath === '') return { kind: 'none' };
  if (!containerPath.startsWith('/')) {
    if (!posix.isAbsolute(sandboxDirectory)) {
      throw new Error(`sandbox directory ${showValue(sandboxDirectory)} is not an absolute path`);
    }
    return { kind: 'sandbox', path: posix.join(sandboxDirectory, containerPath) };
  }
  if (containerPath.startsWith('/tmp/')) return { kind: 'tmp', path: containerPath };
  return { kind: 'existing', path: containerPath };
}
