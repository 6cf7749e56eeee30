import { describe, expect, it } from 'vitest';
import { applyParameters, DEFAULT_SETTINGS, PARAMETERS } from '../src/config/settings.js';

describe('module parameters', () => {
  it('accepts every parameter of the module, the runtime\'s own included, so the bundle opens with them', () => {
    const values: Record<string, string> = {
      work_dir: '/var/lib/mesos',
      checkpoint: '/var/run/dvdi/dvdimounts.pb',
      docker_volume_checkpoint_dir: '/var/run/mesos/isolators/docker/volume',
      dvdcli: '/usr/bin/dvdcli',
      mounter: 'plugin',
      mount_timeout: '30',
      unmount_timeout: '60',
      plugin_dirs: '/run/docker/plugins',
      plugin_socket_dirs: '/run/docker/plugins',
      plugin_spec_dirs: '/etc/docker/plugins',
      plugin_retry: '2',
      max_volumes: '8',
      call_timeout: '90',
      runtime_library: '/usr/lib/dvdi/libdvdi_runtime.so',
      bundle: '/usr/lib/dvdi/dvdi-runtime.cjs',
      heap_limit: '512',
      watchdog_timeout: '20',
      start_timeout: '120',
      namespaces: 'false',
    };
    expect(Object.keys(values).sort()).toEqual(Object.keys(PARAMETERS).sort());
    const s = applyParameters(DEFAULT_SETTINGS, Object.entries(values));
    expect(s).toMatchObject({ maxVolumes: 8, callTimeoutMs: 90_000, mountTimeoutMs: 30_000 });
  });

  it.each([
    ['max_volumes', '0'],
    ['max_volumes', '10000'],
    ['heap_limit', 'lots'],
    ['watchdog_timeout', '0'],
    ['start_timeout', '-1'],
    ['namespaces', 'yes'],
    ['bundle', 'relative/path.cjs'],
    ['nmespaces', 'true'],
  ])('refuses %s=%s with a message naming it', (key, value) => {
    expect(() => applyParameters(DEFAULT_SETTINGS, [[key, value]])).toThrow(new RegExp(key === 'nmespaces' ? 'unknown parameter "nmespaces"' : `parameter ${key}`));
  });
});
