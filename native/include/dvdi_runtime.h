/*
 * dvdi_runtime.h: the one interface between a host (the per-release Mesos
 * shim, the agent simulator) and the bridge library that runs dvdi's
 * TypeScript isolator in an embedded Node runtime.
 *
 * Only C types cross it, so the shim (C++11, Mesos headers, the agent's C++
 * ABI) and the library (C++17, node.h) never share a header or a std:: type,
 * and one library serves every Mesos release.
 *
 * Requests and responses are serialized messages of dvdi's own wire format,
 * src/bridge/bridge.proto (package dvdi.bridge); Mesos messages travel inside
 * them as their own serialized bytes.
 */
#ifndef DVDI_RUNTIME_H
#define DVDI_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DVDI_RUNTIME_ABI_VERSION 1

typedef struct dvdi_runtime dvdi_runtime;

/* Call kinds; the request and response messages are named in bridge.proto. */
enum dvdi_call_kind {
  DVDI_CALL_RECOVER = 1, /* RecoverRequest -> RecoverResponse */
  DVDI_CALL_PREPARE = 2, /* PrepareRequest -> PrepareResponse */
  DVDI_CALL_CLEANUP = 3, /* CleanupRequest -> CleanupResponse */
  /* StatusRequest -> StatusResponse: metrics and volumes, answered from
     memory; a library older than this kind refuses it as unknown. */
  DVDI_CALL_STATUS = 4
};

enum dvdi_log_level { DVDI_LOG_INFO = 0, DVDI_LOG_WARNING = 1, DVDI_LOG_ERROR = 2 };

/* One module parameter; both strings NUL-terminated, UTF-8. */
typedef struct dvdi_param {
  const char* key;
  const char* value;
} dvdi_param;

/*
 * Receives every log line of the runtime and of the JavaScript isolator, one
 * decision a line, without a trailing newline. Called from the runtime's own
 * threads, never concurrently with itself; it must not block and must not
 * call back into this interface.
 */
typedef void (*dvdi_log_fn)(void* context, int level, const char* line);

/*
 * Receives the outcome of one call, exactly once. ok != 0: `data` holds the
 * serialized response. ok == 0: `data` holds a UTF-8 error message (not
 * NUL-terminated). `data` is valid only during the callback. Called from a
 * runtime thread, from the submitting thread when the call is refused at
 * once, or from the thread calling dvdi_runtime_stop; it must not block and
 * must not call back into this interface.
 */
typedef void (*dvdi_done_fn)(void* context, int ok, const uint8_t* data, size_t size);

/*
 * Starts a runtime: loads the JavaScript bundle, opens the isolator with the
 * module parameters (the README's table, plus the runtime's own: `bundle`,
 * `heap_limit`) and waits until it is ready to take calls. Returns NULL when
 * it cannot, with a one-line reason in `error` (always NUL-terminated when
 * error_size > 0). Never aborts the host: missing libnode files, a missing
 * bundle or a bad parameter are reported this way. `log` may be NULL.
 *
 * The runtime's threads block the host's signals (SIGTERM and the rest stay
 * the host's); JavaScript cannot listen for signals. While JavaScript has
 * child processes, libuv owns SIGCHLD's disposition and resets it to the
 * default afterwards: a host that reaps its own children with waitpid(pid)
 * is unaffected, a SIGCHLD handler of the host's is not kept.
 */
dvdi_runtime* dvdi_runtime_start(const dvdi_param* params, size_t param_count, dvdi_log_fn log,
                                 void* log_context, char* error, size_t error_size);

/*
 * Submits a call from any thread; never blocks on JavaScript. `timeout_ms` is
 * the call's deadline (0: the runtime's default for that kind, derived from
 * the mount and unmount timeouts or the `call_timeout` parameter). `done` is
 * called exactly once: with the response, with the error JavaScript gave,
 * when the deadline passes, when the runtime restarts or stops while the call
 * is in flight, or at once when the runtime is stopped or `kind` is unknown.
 */
void dvdi_runtime_call(dvdi_runtime* runtime, int kind, const uint8_t* request, size_t request_size,
                       uint32_t timeout_ms, dvdi_done_fn done, void* context);

/*
 * Stops the runtime: calls in flight fail, the JavaScript environment ends,
 * its thread is joined and the handle is freed. Node itself stays
 * initialised for the process (it cannot be initialised twice), so a later
 * start works. Must not be called from a callback.
 */
void dvdi_runtime_stop(dvdi_runtime* runtime);

/* DVDI_RUNTIME_ABI_VERSION of the loaded library, for hosts that dlopen it. */
int dvdi_runtime_abi_version(void);

#ifdef __cplusplus
}
#endif

#endif
