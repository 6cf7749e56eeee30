import { describe, expect, it } from 'vitest';
import {
  decodeContainerConfig,
  decodeContainerId,
  decodeContainerState,
  decodeExecutorEnvironment,
} from '../src/mesos/decode.js';
import {
  concat,
  fixed32Field,
  fixed64Field,
  messageField,
  stringField,
  varintField,
} from './helpers/wire.js';

// Field numbers from Mesos' mesos.proto and slave/isolator.proto / containerizer.proto.
const variable = (name: string, value: string): Uint8Array =>
  messageField(1, stringField(1, name), stringField(2, value));

const environment = (...variables: Uint8Array[]): Uint8Array => messageField(2, ...variables);

/** A resource (`ExecutorInfo.resources = 5`), unknown to our schema. */
const cpus = messageField(5, stringField(1, 'cpus'), varintField(2, 0), messageField(3, fixed64Field(1, 0x3ff0000000000000n)));

function executorInfo(...commandParts: Uint8Array[]): Uint8Array {
  return concat(
    messageField(1, stringField(1, 'executor-1')),
    cpus,
    messageField(7, ...commandParts),
    messageField(8, stringField(1, 'framework-1')),
    stringField(9, 'an executor'),
    fixed32Field(1000, 0xdeadbeef),
  );
}

const dvdiEnvironment = environment(
  variable('DVDI_VOLUME_NAME', 'data'),
  variable('DVDI_VOLUME_DRIVER', 'rexray'),
);

describe('decodeExecutorEnvironment', () => {
  it('returns the command variables in order, skipping unknown fields at every level', () => {
    const bytes = executorInfo(
      messageField(1, stringField(1, 'http://example.com/a.tgz'), varintField(3, true)),
      dvdiEnvironment,
      stringField(3, 'sleep 1000'),
      stringField(5, 'nobody'),
      varintField(6, false),
      stringField(7, 'arg'),
      fixed64Field(77, 1n),
    );
    expect(decodeExecutorEnvironment(bytes)).toEqual([
      ['DVDI_VOLUME_NAME', 'data'],
      ['DVDI_VOLUME_DRIVER', 'rexray'],
    ]);
  });

  it('reads Mesos 1.6 variables, ignoring their type and secret', () => {
    const typed = messageField(1, stringField(1, 'DVDI_VOLUME_NAME'), varintField(3, 1), stringField(2, 'data'));
    const secret = messageField(
      1,
      stringField(1, 'TOKEN'),
      varintField(3, 2),
      messageField(4, varintField(1, 1), messageField(2, stringField(1, 'secret-name'), stringField(2, 'key'))),
    );
    const bytes = executorInfo(environment(typed, secret), stringField(3, 'true'));
    expect(decodeExecutorEnvironment(bytes)).toEqual([
      ['DVDI_VOLUME_NAME', 'data'],
      ['TOKEN', ''],
    ]);
  });

  it('keeps repeated names, in order', () => {
    const bytes = executorInfo(
      environment(
        variable('DVDI_VOLUME_NAME', 'first'),
        variable('PATH', '/bin'),
        variable('DVDI_VOLUME_NAME', 'second'),
        variable('EMPTY', ''),
      ),
    );
    expect(decodeExecutorEnvironment(bytes)).toEqual([
      ['DVDI_VOLUME_NAME', 'first'],
      ['PATH', '/bin'],
      ['DVDI_VOLUME_NAME', 'second'],
      ['EMPTY', ''],
    ]);
  });

  it('gives an empty environment when there is no command or no environment', () => {
    expect(decodeExecutorEnvironment(messageField(1, stringField(1, 'default-executor')))).toEqual([]);
    expect(decodeExecutorEnvironment(executorInfo(stringField(3, 'sleep 1')))).toEqual([]);
    expect(decodeExecutorEnvironment(new Uint8Array())).toEqual([]);
  });

  it('refuses a variable without a name', () => {
    const bytes = executorInfo(environment(messageField(1, stringField(2, 'orphan value'))));
    expect(() => decodeExecutorEnvironment(bytes)).toThrow(/cannot decode Mesos ExecutorInfo .*missing required 'name'/);
  });

  it('refuses truncated bytes', () => {
    const bytes = executorInfo(dvdiEnvironment);
    expect(() => decodeExecutorEnvironment(bytes.subarray(0, bytes.length - 3))).toThrow(
      /cannot decode Mesos ExecutorInfo \(\d+ bytes\): .*index out of range/,
    );
  });
});

describe('decodeContainerConfig', () => {
  const taskInfo = messageField(
    2,
    stringField(1, 'task'),
    messageField(2, stringField(1, 'task-1')),
    messageField(3, stringField(1, 'agent-1')),
  );

  it('reads the 0.27 layout (executorInfo = 1)', () => {
    const bytes = concat(
      messageField(1, executorInfo(dvdiEnvironment)),
      taskInfo,
      stringField(3, '/var/lib/mesos/slaves/s/frameworks/f/executors/e/runs/r'),
      stringField(4, 'nobody'),
      stringField(5, '/rootfs'),
    );
    expect(decodeContainerConfig(bytes)).toEqual({
      environment: [
        ['DVDI_VOLUME_NAME', 'data'],
        ['DVDI_VOLUME_DRIVER', 'rexray'],
      ],
      directory: '/var/lib/mesos/slaves/s/frameworks/f/executors/e/runs/r',
      user: 'nobody',
    });
  });

  it('reads the 0.28 and 1.0 layout (executor_info = 8) with later unknown fields', () => {
    const bytes = concat(
      stringField(3, '/sandbox'),
      messageField(8, executorInfo(dvdiEnvironment)),
      messageField(9, stringField(1, 'task')),
      varintField(14, 1),
      stringField(15, 'ephemeral'),
    );
    expect(decodeContainerConfig(bytes)).toEqual({
      environment: [
        ['DVDI_VOLUME_NAME', 'data'],
        ['DVDI_VOLUME_DRIVER', 'rexray'],
      ],
      directory: '/sandbox',
      user: '',
    });
  });

  it('prefers executor_info = 8 when a 0.28 agent sends both', () => {
    const bytes = concat(
      messageField(1, executorInfo(environment(variable('FROM', 'one')))),
      stringField(3, '/sandbox'),
      messageField(8, executorInfo(environment(variable('FROM', 'eight')))),
    );
    expect(decodeContainerConfig(bytes).environment).toEqual([['FROM', 'eight']]);
  });

  it('reads command_info = 11 from 1.1 on: the command the container runs, a copy of the executor\'s for a top-level one', () => {
    const command = concat(stringField(3, 'sleep 1000'), dvdiEnvironment);
    const bytes = concat(stringField(3, '/sandbox'), messageField(8, executorInfo(dvdiEnvironment)), messageField(11, command));
    expect(decodeContainerConfig(bytes).environment).toEqual([
      ['DVDI_VOLUME_NAME', 'data'],
      ['DVDI_VOLUME_DRIVER', 'rexray'],
    ]);
  });

  it('reads a nested container\'s own variables from its command_info: it has no executor (task groups, Mesos 1.1+)', () => {
    const bytes = concat(stringField(3, '/sandbox/tasks/t'), messageField(11, stringField(3, 'sleep 1'), environment(variable('DVDI_VOLUME_NAME', 'own'))));
    expect(decodeContainerConfig(bytes)).toEqual({ environment: [['DVDI_VOLUME_NAME', 'own']], directory: '/sandbox/tasks/t', user: '' });
  });

  it('gives an empty environment to a container whose command has none', () => {
    const bytes = concat(stringField(3, '/sandbox'), messageField(11, stringField(3, 'sleep 1')));
    expect(decodeContainerConfig(bytes)).toEqual({ environment: [], directory: '/sandbox', user: '' });
  });

  it('refuses a config without its required directory', () => {
    expect(() => decodeContainerConfig(messageField(8, executorInfo(dvdiEnvironment)))).toThrow(
      /cannot decode Mesos ContainerConfig .*missing required 'directory'/,
    );
  });
});

describe('decodeContainerId', () => {
  it('returns the value of a top-level id', () => {
    expect(decodeContainerId(stringField(1, 'b1c9e6f4-1234'))).toBe('b1c9e6f4-1234');
  });

  it('joins a nested id with its parents as Mesos prints it', () => {
    const grandparent = concat(stringField(1, 'top'), fixed32Field(50, 7));
    const parent = concat(stringField(1, 'middle'), messageField(2, grandparent));
    const bytes = concat(messageField(2, parent), stringField(1, 'leaf'), varintField(99, 3));
    expect(decodeContainerId(bytes)).toBe('top.middle.leaf');
  });

  it('refuses an id without a value, at any level', () => {
    expect(() => decodeContainerId(new Uint8Array())).toThrow(/cannot decode Mesos ContainerID .*missing required 'value'/);
    expect(() => decodeContainerId(concat(stringField(1, 'leaf'), messageField(2)))).toThrow(
      /missing required 'value'/,
    );
  });
});

describe('decodeContainerState', () => {
  it('reads id, pid and directory, skipping the executor and later fields', () => {
    const bytes = concat(
      messageField(1, executorInfo(dvdiEnvironment)),
      messageField(2, stringField(1, 'child'), messageField(2, stringField(1, 'parent'))),
      varintField(3, 31337),
      stringField(4, '/sandbox/run'),
      messageField(6, varintField(1, 1)),
    );
    expect(decodeContainerState(bytes)).toEqual({ containerId: 'parent.child', pid: 31337, directory: '/sandbox/run' });
  });

  it('reads a pid above 32 bits exactly', () => {
    const bytes = concat(messageField(2, stringField(1, 'c')), varintField(3, 2n ** 40n + 1n), stringField(4, '/d'));
    expect(decodeContainerState(bytes).pid).toBe(2 ** 40 + 1);
  });

  it('refuses a pid that a number cannot hold', () => {
    const bytes = concat(messageField(2, stringField(1, 'c')), varintField(3, 2n ** 60n), stringField(4, '/d'));
    expect(() => decodeContainerState(bytes)).toThrow(/pid 1152921504606846976 is out of range/);
  });

  it('refuses a state missing a required field', () => {
    expect(() => decodeContainerState(concat(messageField(2, stringField(1, 'c')), stringField(4, '/d')))).toThrow(
      /cannot decode Mesos ContainerState .*missing required 'pid'/,
    );
  });
});
