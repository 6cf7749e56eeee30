# The bridge core (native/bridge) as an ordinary Node-API addon for the
# machine's Node, with the native test hook: build/Release/dvdi_bridge.node.
# Built by scripts/build-native.sh with --nodedir pointing at local headers.
{
  "targets": [
    {
      "target_name": "dvdi_bridge",
      "sources": [
        "native/addon/addon.cc",
        "native/addon/test_calls.cc",
        "native/bridge/bridge.cc",
        "native/bridge/call_table.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/bridge"
      ],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "ldflags": ["-pthread"]
    }
  ]
}
