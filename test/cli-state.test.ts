import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dvdi } from './helpers/cli.js';
import { Harness } from './helpers/harness.js';
import { isMountpoint } from './helpers/mounts.js';

let h: Harness;
let common: string[];
beforeEach(() => {
  h = new Harness();
  common = h.cliFlags;
});
afterEach(() => h.dispose());

describe('dvdi CLI', () => {
  it('prepares, shows status, and cleans up through the checkpoint', async () => {
    const envFile = path.join(h.root, 'task.env');
    writeFileSync(envFile, '# a Marathon app\nDVDI_VOLUME_NAME=web\nDVDI_VOLUME_OPTS=size=1\n');
    const prepared = dvdi(['prepare', ...common, '--container-id', 'c1', '--directory', h.sandbox, '--env-file', envFile, '--env', 'DVDI_VOLUME_CONTAINERPATH=data']);
    expect(prepared.stderr).toBe('');
    expect(prepared.status).toBe(0);
    const out = JSON.parse(prepared.stdout);
    const mp = h.dvdcli.mountpoint('rexray', 'web');
    expect(out).toEqual({
      containerId: 'c1',
      mounts: [{ driver: 'rexray', name: 'web', mountpoint: mp, containerPath: `${h.sandbox}/data`, shared: false }],
      commands: ['mount --make-rslave /', `mount -n --rbind '${mp}' '${h.sandbox}/data'`],
      mountNamespace: true,
    });

    const shared = dvdi(['prepare', ...common, '--container-id', 'c2', '--directory', h.sandbox, '--env', 'DVDI_VOLUME_NAME=web', '--env', 'DVDI_VOLUME_OPTS=size=1']);
    expect(JSON.parse(shared.stdout).mounts[0].shared).toBe(true);

    const status = dvdi(['status', ...common, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject([{ driver: 'rexray', name: 'web', state: 'mounted', holders: ['c1', 'c2'] }]);
    const table = dvdi(['status', ...common]);
    expect(table.stdout).toMatch(/^DRIVER\s+VOLUME\s+STATE\s+MOUNTPOINT\s+HOLDERS\nrexray\s+web\s+mounted\s+\S+\s+c1,c2\n$/);

    expect(dvdi(['cleanup', ...common, '--container-id', 'c1']).status).toBe(0);
    expect(isMountpoint(mp)).toBe(true);
    const last = dvdi(['cleanup', ...common, '--container-id', 'c2']);
    expect(JSON.parse(last.stdout)).toEqual({ containerId: 'c2', released: [{ driver: 'rexray', name: 'web', unmounted: true }] });
    expect(isMountpoint(mp)).toBe(false);
    expect(dvdi(['status', ...common]).stdout).toBe('no volumes\n');
  });

  it('exits non-zero with a one-line reason and mounts nothing on bad input', () => {
    const r = dvdi(['prepare', ...common, '--container-id', 'c1', '--directory', h.sandbox, '--env', 'DVDI_VOLUME_NAME=x;reboot']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^dvdi: .*DVDI_VOLUME_NAME/);
    expect(h.dvdcli.calls()).toEqual([]);
  });

  it('exits 2 on usage errors', () => {
    expect(dvdi(['prepare', ...common, '--bogus']).status).toBe(2);
    expect(dvdi(['prepare', ...common]).stderr).toMatch(/--container-id is required/);
    expect(dvdi(['frobnicate']).status).toBe(2);
    expect(dvdi(['toString']).status).toBe(2);
    expect(dvdi(['prepare', '--constructor', 'x']).stderr).toMatch(/unknown option --constructor/);
  });

  it('takes settings from a --config file, flags winning', () => {
    const config = path.join(h.root, 'dvdi.json');
    writeFileSync(config, JSON.stringify({ checkpoint: h.checkpoint, dvdcli: '/nonexistent/dvdcli', mount_timeout: '30' }));
    const viaConfig = dvdi(['prepare', '--config', config, '--quiet', '--container-id', 'c1', '--directory', h.sandbox, '--env', 'DVDI_VOLUME_NAME=v']);
    expect(viaConfig.status).toBe(1);
    expect(viaConfig.stderr).toMatch(/cannot run \/nonexistent\/dvdcli/);
    const overridden = dvdi(['prepare', '--config', config, '--dvdcli', h.dvdcli.binary, '--quiet', '--container-id', 'c1', '--directory', h.sandbox, '--env', 'DVDI_VOLUME_NAME=v']);
    expect(overridden.status).toBe(0);
  });

  it('refuses unknown parameters in a config file', () => {
    const config = path.join(h.root, 'dvdi.json');
    writeFileSync(config, JSON.stringify({ mount_timeuot: '30' }));
    const r = dvdi(['status', '--config', config]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown parameter "mount_timeuot"/);
  });

  it('recovers with --alive and --orphan', () => {
    for (const id of ['alive', 'orphan', 'gone']) {
      dvdi(['prepare', ...common, '--container-id', id, '--directory', h.sandbox, '--env', `DVDI_VOLUME_NAME=v-${id}`]);
    }
    const r = dvdi(['recover', ...common, '--alive', 'alive', '--orphan', 'orphan']);
    expect(JSON.parse(r.stdout)).toEqual({ kept: ['alive', 'orphan'], unmounted: ['rexray/v-gone'], pending: [] });
    expect(isMountpoint(h.dvdcli.mountpoint('rexray', 'v-gone'))).toBe(false);
    expect(isMountpoint(h.dvdcli.mountpoint('rexray', 'v-alive'))).toBe(true);
  });
});

describe('dvdi forget', () => {
  it('drops a pending unmount the operator has checked, and only that', () => {
    h.dvdcli.behave({ unmount: 'fail' });
    dvdi(['prepare', ...common, '--container-id', 'c1', '--directory', h.sandbox, '--env', 'DVDI_VOLUME_NAME=stuck']);
    expect(dvdi(['cleanup', ...common, '--container-id', 'c1']).status).toBe(1);
    h.dvdcli.dispose();
    const r = dvdi(['forget', ...common, '--name', 'stuck']);
    expect(JSON.parse(r.stdout)).toEqual({ driver: 'rexray', name: 'stuck', forgotten: true });
    expect(dvdi(['status', ...common]).stdout).toBe('no volumes\n');
    expect(JSON.parse(dvdi(['forget', ...common, '--name', 'stuck']).stdout).forgotten).toBe(false);
  });
});
