/**
 * Docker volume plugin protocol, v1 (REFERENCE.md §5). Shared by the plugin
 * client and the plugin server so both sides agree on every name.
 */

export const PLUGIN_CONTENT_TYPE = 'application/vnd.docker.plugins.v1.2+json';

export const Method = {
  Activate: 'Plugin.Activate',
  Create: 'VolumeDriver.Create',
  Remove: 'VolumeDriver.Remove',
  Mount: 'VolumeDriver.Mount',
  Unmount: 'VolumeDriver.Unmount',
  Path: 'VolumeDriver.Path',
  Get: 'VolumeDriver.Get',
  List: 'VolumeDriver.List',
  Capabilities: 'VolumeDriver.Capabilities',
} as const;

export type MethodName = (typeof Method)[keyof typeof Method];

export interface ActivateResponse {
  Implements: string[];
}

export interface NameRequest {
  Name: string;
}

export interface CreateRequest extends NameRequest {
  Opts?: Record<string, string>;
}

export interface MountRequestBody extends NameRequest {
  ID: string;
}

export interface ErrResponse {
  Err?: string;
}

export interface MountResponse extends ErrResponse {
  Mountpoint?: string;
}

export interface PluginVolume {
  Name: string;
  Mountpoint?: string;
  Status?: Record<string, unknown>;
}

export interface GetResponse extends ErrResponse {
  Volume?: PluginVolume;
}

export interface ListResponse extends ErrResponse {
  Volumes?: PluginVolume[];
}

export interface CapabilitiesResponse extends ErrResponse {
  Capabilities?: { Scope?: 'global' | 'local' };
}

/** Where Docker looks for plugins, in its order. */
export const DEFAULT_SOCKET_DIRS = ['/run/docker/plugins'];
export const DEFAULT_SPEC_DIRS = ['/etc/docker/plugins', '/usr/lib/docker/plugins'];
