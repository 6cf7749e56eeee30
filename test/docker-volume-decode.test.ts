/**
 * DOCKER_VOLUME volumes read from ContainerConfig bytes laid out as each
 * Mesos generation's agent serializes them, and checked by the same rules as
 * the DVDI_ variables.
 */
import { describe, expect, it } from 'vitest';
import { decodeContainerConfig, decodeContainerRequest } from '../src/mesos/decode.js';
import { SpecError } from '../src/spec/error.js';
import { parseTaskVolumes } from '../src/spec/task-volumes.js';
import type { DockerVolumeInput } from '../src/spec/docker-volume.js';
import {
  commandInfo,
  commandTaskConfig,
  containerInfo,
  dockerVolume,
  executorInfo,
  hostPathVolume,
  nestedConfig,
  otherVolume,
  RO,
  RW,
  taskInfo,
} from './helpers/mesos-volumes.js';
import { concat, messageField, stringField, varintField } from './helpers/wire.js';

const pg = dockerVolume({ containerPath: 'pgdata', mode: RW, driver: 'rexray', name: 'pg', options: [['size', '20'], ['volumetype', 'gp2']] });
const logs = dockerVolume({ containerPath: '/var/log/app', mode: RO, driver: 'dvdi', name: 'logs' });

const expected: DockerVolumeInput[] = [
  { index: 0, driver: 'rexray', name: 'pg', options: [['size', '20'], ['volumetype', 'gp2']], containerPath: 'pgdata', mode: RW },
  { index: 1, driver: 'dvdi', name: 'logs', options: [], containerPath: '/var/log/app', mode: RO },
];

describe('DOCKER_VOLUME volumes of a ContainerConfig', () => {
  it.each(['1.0', '1.1-1.4', '1.5+'] as const)('reads them from a %s command task, with the variables, in order', (generation) => {
    const bytes = commandTaskConfig(generation, containerInfo(pg, logs), '/sandbox', { DVDI_VOLUME_NAME: 'also' });
    expect(decodeContainerRequest(bytes)).toEqual({
      environment: [['DVDI_VOLUME_NAME', 'also']],
      directory: '/sandbox',
      user: '',
      dockerVolumes: expected,
    });
    // The variables-only view is unchanged.
    expect(decodeContainerConfig(bytes)).toEqual({ environment: [['DVDI_VOLUME_NAME', 'also']], directory: '/sandbox', user: '' });
  });

  it('reads 1.0\'s executor_info.container (no container_info before 1.1)', () => {
    const bytes = concat(stringField(3, '/sandbox'), messageField(8, executorInfo(commandInfo(), containerInfo(logs))));
    expect(decodeContainerRequest(bytes).dockerVolumes).toEqual([{ ...expected[1], index: 0 }]);
  });

  it('reads a custom executor\'s ContainerInfo (no task_info), 1.0 and 1.1+', () => {
    const container = containerInfo(pg);
    const v10 = concat(stringField(3, '/sandbox'), messageField(8, executorInfo(commandInfo(), container)));
    const v11 = concat(v10, messageField(11, commandInfo()), messageField(12, container));
    expect(decodeContainerRequest(v10).dockerVolumes).toEqual([expected[0]]);
    expect(decodeContainerRequest(v11).dockerVolumes).toEqual([expected[0]]);
  });

  it('from 1.1 reads container_info, the container\'s own, not the executor\'s', () => {
    const bytes = concat(
      stringField(3, '/sandbox'),
      messageField(8, executorInfo(commandInfo(), containerInfo(pg))),
      messageField(9, taskInfo(containerInfo(logs))),
      messageField(11, commandInfo()),
      messageField(12, containerInfo(logs)),
    );
    expect(decodeContainerRequest(bytes).dockerVolumes).toEqual([{ ...expected[1], index: 0 }]);
  });

  it('reads a nested container\'s own volumes, never its root\'s executor_info that the agent copies in', () => {
    const root = executorInfo(commandInfo(), containerInfo(pg));
    const own = nestedConfig(containerInfo(logs), root, '/sandbox/tasks/t', { DVDI_VOLUME_NAME: 'n' });
    expect(decodeContainerRequest(own)).toEqual({
      environment: [['DVDI_VOLUME_NAME', 'n']],
      directory: '/sandbox/tasks/t',
      user: '',
      dockerVolumes: [{ ...expected[1], index: 0 }],
    });
    // A nested container without a ContainerInfo of its own has no DOCKER_VOLUME volumes.
    expect(decodeContainerRequest(nestedConfig(undefined, root, '/sandbox/tasks/u')).dockerVolumes).toEqual([]);
  });

  it('leaves volumes of every other source alone, keeping each DOCKER_VOLUME volume\'s place', () => {
    const container = containerInfo(
      hostPathVolume('/etc/ssl', '/etc/ssl'),
      otherVolume('HOST_PATH', '/srv'),
      pg,
      otherVolume('SANDBOX_PATH', 'shared'),
      otherVolume('SECRET', 'token'),
      otherVolume('CSI_VOLUME', 'csi'),
      otherVolume('UNKNOWN', 'what'),
      logs,
    );
    const volumes = decodeContainerRequest(commandTaskConfig('1.5+', container, '/sandbox')).dockerVolumes;
    expect(volumes).toEqual([{ ...expected[0], index: 2 }, { ...expected[1], index: 7 }]);
  });

  it('has none for 0.27/0.28 layouts, whose volumes have no source, nor for a container without ContainerInfo', () => {
    const old = concat(messageField(1, executorInfo(commandInfo(), containerInfo(hostPathVolume('/data', '/srv/data')))), stringField(3, '/sandbox'));
    expect(decodeContainerRequest(old).dockerVolumes).toEqual([]);
    const none = concat(stringField(3, '/sandbox'), messageField(8, executorInfo(commandInfo())), messageField(11, commandInfo()));
    expect(decodeContainerRequest(none).dockerVolumes).toEqual([]);
  });

  it('passes missing fields on as missing, for the checks to name', () => {
    const bare = concat(stringField(1, 'data'), messageField(5, varintField(1, 1), messageField(2, stringField(2, 'nodriver'))));
    const noSource = concat(stringField(1, 'data'), messageField(5, varintField(1, 1)));
    const volumes = decodeContainerRequest(commandTaskConfig('1.5+', containerInfo(bare, noSource), '/s')).dockerVolumes;
    expect(volumes).toEqual([
      { index: 0, name: 'nodriver', options: [], containerPath: 'data' },
      { index: 1, options: [], containerPath: 'data' },
    ]);
  });
});

describe('checking DOCKER_VOLUME volumes with the variables\' rules', () => {
  const settings = { configuredDvdcli: '/usr/bin/dvdcli', maxVolumes: 4 };
  const input = (fields: Partial<DockerVolumeInput> = {}): DockerVolumeInput => ({
    index: 0,
    driver: 'rexray',
    name: 'pg',
    options: [],
    containerPath: 'pgdata',
    mode: RW,
    ...fields,
  });
  const parse = (docker: DockerVolumeInput[], environment: Record<string, string> = {}) =>
    parseTaskVolumes({ environment: Object.entries(environment), dockerVolumes: docker }, settings);
  const refusal = (docker: DockerVolumeInput[], environment: Record<string, string> = {}): string => {
    try {
      parse(docker, environment);
    } catch (e) {
      expect(e).toBeInstanceOf(SpecError);
      return (e as Error).message;
    }
    throw new Error('expected a refusal');
  };

  it('makes specs with the options as Create options, read-only for RO, and no explicit create', () => {
    const { specs } = parse([input({ options: [['size', '20']] }), input({ index: 3, name: 'logs', containerPath: '/tmp/logs', mode: RO })]);
    expect(specs).toEqual([
      { slot: 0, label: 'DOCKER_VOLUME rexray/pg (volumes[0])', driver: 'rexray', name: 'pg', options: [['size', '20']], explicitCreate: false, containerPath: 'pgdata', readOnly: false },
      { slot: 3, label: 'DOCKER_VOLUME rexray/logs (volumes[3])', driver: 'rexray', name: 'logs', options: [], explicitCreate: false, containerPath: '/tmp/logs', readOnly: true },
    ]);
    expect(parse([input({ mode: undefined })]).specs[0]!.readOnly).toBe(false);
  });

  it.each([
    [{ driver: undefined }, 'DOCKER_VOLUME volumes[0] driver: volume "pg" names no driver'],
    [{ driver: '' }, 'DOCKER_VOLUME volumes[0] driver: the driver name is empty'],
    [{ driver: '../x' }, 'DOCKER_VOLUME volumes[0] driver: the driver name "../x" has a ".." part'],
    [{ name: undefined }, 'DOCKER_VOLUME volumes[0] name: the volume name is empty'],
    [{ name: '-rf' }, 'DOCKER_VOLUME volumes[0] name: character \'-\' at position 1'],
    [{ name: 'a\nb' }, 'DOCKER_VOLUME volumes[0] name: character \'\\x0A\' at position 2'],
    [{ options: [['size', '1,2']] }, 'DOCKER_VOLUME rexray/pg (volumes[0]) driver_options: character \',\''],
    [{ options: [['bad key', '1']] }, 'DOCKER_VOLUME rexray/pg (volumes[0]) driver_options: character \' \' at position 4 in option key "bad key"'],
    [{ options: [['size', '1'], ['size', '2']] }, 'DOCKER_VOLUME rexray/pg (volumes[0]) driver_options: option key "size" is given twice'],
    [{ containerPath: '' }, 'DOCKER_VOLUME rexray/pg (volumes[0]) container_path: is empty'],
    [{ containerPath: undefined }, 'DOCKER_VOLUME rexray/pg (volumes[0]) container_path: is empty'],
    [{ containerPath: '/etc/cron.d' }, 'DOCKER_VOLUME rexray/pg (volumes[0]) container_path: "/etc/cron.d" would cover the system directory /etc'],
    [{ containerPath: 'a/../../b' }, 'DOCKER_VOLUME rexray/pg (volumes[0]) container_path: "a/../../b" has a ".." part'],
    [{ mode: 7 }, 'DOCKER_VOLUME rexray/pg (volumes[0]) mode: unknown mode 7'],
    [{ name: 'x'.repeat(300) }, 'DOCKER_VOLUME volumes[0] name: value is 300 bytes long'],
  ] as const)('refuses %j before anything is mounted, naming the volume', (fields, message) => {
    expect(refusal([input(fields as Partial<DockerVolumeInput>)])).toContain(message);
  });

  it('fails a container that has one volume twice, as Mesos\' docker/volume isolator does', () => {
    expect(refusal([input(), input({ index: 2, containerPath: 'other' })])).toBe(
      'DOCKER_VOLUME rexray/pg (volumes[2]): is also volumes[0]: a DOCKER_VOLUME volume may appear once in a container (as with Mesos\' docker/volume isolator)',
    );
    // The same name through another driver is another volume.
    expect(parse([input(), input({ index: 1, driver: 'other', containerPath: 'b' })]).specs).toHaveLength(2);
  });

  it('merges a volume asked for both ways when asked the same way, and refuses it otherwise', () => {
    const both = parse([input({ options: [['size', '20']] })], { DVDI_VOLUME_NAME: 'pg', DVDI_VOLUME_OPTS: 'size=20', DVDI_VOLUME_CONTAINERPATH: '/tmp/pg' });
    expect(both.specs.map((s) => [s.label ?? `slot ${s.slot}`, s.containerPath])).toEqual([
      ['slot 0', '/tmp/pg'],
      ['DOCKER_VOLUME rexray/pg (volumes[0])', 'pgdata'],
    ]);
    expect(refusal([input({ options: [['size', '20']] })], { DVDI_VOLUME_NAME: 'pg', DVDI_VOLUME_OPTS: 'size=30' })).toBe(
      'DOCKER_VOLUME rexray/pg (volumes[0]) driver_options: volume "rexray/pg" is also requested by the variables of volume 0 with other options; a volume asked for both ways must have the same options',
    );
    expect(refusal([input()], { DVDI_VOLUME_NAME: 'pg', DVDI_VOLUME_EXPLICITCREATE: 'true' })).toContain('with explicit create, which a DOCKER_VOLUME volume cannot ask for');
  });

  it('counts both ways against max_volumes', () => {
    const four = [0, 1, 2].map((i) => input({ index: i, name: `v${i}`, containerPath: `p${i}` }));
    expect(parse(four, { DVDI_VOLUME_NAME: 'x' }).specs).toHaveLength(4);
    expect(refusal([...four, input({ index: 3, name: 'v3', containerPath: 'p3' })], { DVDI_VOLUME_NAME: 'x' })).toBe(
      'DOCKER_VOLUME volumes[3]: the task asks for more than 4 volumes, the most one task may use (module parameter max_volumes)',
    );
  });
});
