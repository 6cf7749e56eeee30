/**
 * `dvdi module-config`: the dvdi-mod.json operators install, with every
 * parameter at its default, read back the way the module and `dvdi --config` read it.
 */
import { describe, expect, it } from 'vitest';
import { applyParameters, DEFAULT_SETTINGS, PARAMETERS, parametersFromJson } from '../src/config/settings.js';
import { defaultParameters, MODULE_NAME, WITHOUT_DEFAULT } from '../src/cli/module-config.js';
import { dvdi } from './helpers/cli.js';

interface ModulesFile {
  libraries: Array<{ file: string; modules: Array<{ name: string; parameters: Array<{ key: string; value: string }> }> }>;
}

function moduleConfig(...args: string[]): { status: number | null; doc: ModulesFile; stdout: string; stderr: string } {
  const r = dvdi(['module-config', ...args]);
  return { ...r, doc: r.status === 0 ? (JSON.parse(r.stdout) as ModulesFile) : { libraries: [] } };
}

describe('dvdi module-config', () => {
  it('names the module file of the release and the original module name', () => {
    const { status, doc } = moduleConfig('--mesos-version', '0.27.2');
    expect(status).toBe(0);
    expect(doc.libraries).toHaveLength(1);
    expect(doc.libraries[0]!.file).toBe('/usr/lib/dvdi/libmesos_dvdi_isolator-0.27.2.so');
    expect(doc.libraries[0]!.modules.map((m) => m.name)).toEqual([MODULE_NAME]);
  });

  it('lists every parameter that has a default, at that default', () => {
    const { doc } = moduleConfig('--mesos-version', '0.23.1');
    const params = doc.libraries[0]!.modules[0]!.parameters;
    const keys = params.map((p) => p.key);
    expect(new Set([...keys, ...WITHOUT_DEFAULT])).toEqual(new Set(Object.keys(PARAMETERS)));
    expect(keys.filter((k) => (WITHOUT_DEFAULT as readonly string[]).includes(k))).toEqual([]);
    // Read back as the engine reads a modules file: the same settings as no parameters at all.
    const read = parametersFromJson(JSON.stringify(doc), 'dvdi-mod.json');
    expect(applyParameters(DEFAULT_SETTINGS, read)).toEqual(DEFAULT_SETTINGS);
    expect(Object.fromEntries(read)).toMatchObject({
      runtime_library: '/usr/lib/dvdi/libdvdi_runtime.so',
      bundle: '/usr/lib/dvdi/dvdi-runtime.cjs',
      namespaces: 'true',
    });
  });

  it('puts the runtime library and the bundle beside a given module path', () => {
    const { doc } = moduleConfig('--library', '/opt/dvdi/libmesos_dvdi_isolator-0.25.0.so');
    expect(doc.libraries[0]!.file).toBe('/opt/dvdi/libmesos_dvdi_isolator-0.25.0.so');
    const params = Object.fromEntries(doc.libraries[0]!.modules[0]!.parameters.map((p) => [p.key, p.value]));
    expect(params.runtime_library).toBe('/opt/dvdi/libdvdi_runtime.so');
    expect(params.bundle).toBe('/opt/dvdi/dvdi-runtime.cjs');
  });

  it('replaces defaults in place and appends parameters without one', () => {
    const { status, doc } = moduleConfig(
      '--mesos-version', '0.26.1',
      '--param', 'mounter=plugin',
      '--param', 'work_dir=/var/lib/mesos',
    );
    expect(status).toBe(0);
    const params = doc.libraries[0]!.modules[0]!.parameters;
    const expected = defaultParameters('/usr/lib/dvdi').map(([key, value]) => ({ key, value: key === 'mounter' ? 'plugin' : value }));
    expect(params).toEqual([...expected, { key: 'work_dir', value: '/var/lib/mesos' }]);
  });

  it('refuses what the module would refuse', () => {
    const unknown = moduleConfig('--mesos-version', '0.27.2', '--param', 'mount_timout=5');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('unknown parameter "mount_timout"');
    const bad = moduleConfig('--mesos-version', '0.27.2', '--param', 'namespaces=yes');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('parameter namespaces');
  });

  it('is a usage error without exactly one of --mesos-version and --library, or with bad values', () => {
    for (const args of [
      [],
      ['--mesos-version', '0.27.2', '--library', '/usr/lib/x.so'],
      ['--mesos-version', '0.27'],
      ['--library', 'relative.so'],
      ['--mesos-version', '0.27.2', '--param', 'novalue'],
    ]) {
      const r = moduleConfig(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
  });
});
