// What runs first in every environment: the bootstrap script that fences
// JavaScript in before the bundle loads, and the two linked bindings,
// `dvdi_bridge` (docs/native.md §2) and `dvdi_runtime` (the bootstrap's own).
#ifndef DVDI_BOOTSTRAP_H
#define DVDI_BOOTSTRAP_H

#include <node_api.h>

namespace dvdi {

const char* bootstrap_source();

napi_value init_bridge_binding(napi_env env, napi_value exports);
napi_value init_runtime_binding(napi_env env, napi_value exports);

}  // namespace dvdi

#endif
