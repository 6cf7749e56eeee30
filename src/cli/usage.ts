export const USAGE = `usage: dvdi <command> [options]

Isolator state (the same engine the Mesos module embeds):
  dvdi prepare --container-id ID [--directory DIR] [--user U] [--env NAME=VALUE]... [--env-file FILE]
               [--container-config FILE]   a serialized mesos.slave.ContainerConfig: its variables and DOCKER_VOLUME volumes
  dvdi cleanup --container-id ID
  dvdi recover [--alive ID]... [--orphan ID]...
  dvdi status  [--json]
  dvdi forget  [--driver D] --name N    drop a pending unmount once you have unmounted the volume by hand
  common: --checkpoint FILE  --dvdcli PATH  --mounter dvdcli|plugin  --plugin-dirs DIR[:DIR]
          --mount-timeout SECONDS  --unmount-timeout SECONDS  --config FILE  --quiet

Volume plugins:
  dvdi volume mount|unmount|path|get|list|create|remove|version [dvdcli flags]
  dvdi plugin serve [--name NAME] [--socket PATH] [--root DIR] [--backend loop|dir]
  dvdi doctor [common options] [--library-path DIR[:DIR]]   also checks this host's glibc, libstdc++ and libnode
  dvdi demo

Mesos module:
  dvdi module-config (--mesos-version V | --library PATH) [--param KEY=VALUE]...   print a dvdi-mod.json
  dvdi agent-setup [--mesos-version V]   the two agent settings that load the installed module
  dvdi requirements [--markdown] [--library-path DIR[:DIR]] [--dependency NAME]... FILE...
      the newest glibc, libstdc++ and libgcc_s symbol versions ELF files need: the oldest a host may have

Exit status: 0 on success, 1 on failure (reason on stderr), 2 on a usage error.
`;
