// The C interface of native/include/dvdi_runtime.h. Nothing thrown here
// reaches the host: every failure becomes a message.
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "dvdi_runtime.h"
#include "libnode_files.h"
#include "node_process.h"
#include "params.h"
#include "runtime.h"

struct dvdi_runtime {
  std::shared_ptr<dvdi::Runtime> runtime;
};

namespace {

void copy_error(const std::string& message, char* error, size_t error_size) {
  if (error == nullptr || error_size == 0) return;
  size_t n = std::min(message.size(), error_size - 1);
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

// The directory this library was loaded from: the default bundle sits there.
std::string library_directory() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&dvdi_runtime_abi_version), &info) == 0 || !info.dli_fname) {
    return ".";
  }
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

dvdi_runtime* start(const dvdi_param* params, size_t param_count, dvdi_log_fn log,
                    void* log_context, std::string* error) {
  dvdi::Parameters parameters;
  for (size_t i = 0; i < param_count; ++i) {
    if (params[i].key == nullptr || params[i].value == nullptr) {
      *error = "module parameter " + std::to_string(i) + " has no key or no value";
      return nullptr;
    }
    parameters.emplace_back(params[i].key, params[i].value);
  }
  dvdi::RuntimeOptions options;
  if (!dvdi::parse_runtime_options(parameters, &options, error)) return nullptr;
  if (options.bundle.empty()) options.bundle = library_directory() + "/dvdi-runtime.cjs";
  if (access(options.bundle.c_str(), R_OK) != 0) {
    *error = "cannot read the JavaScript bundle " + options.bundle + ": " + std::strerror(errno);
    return nullptr;
  }
  *error = dvdi::missing_libnode_file();
  if (!error->empty()) return nullptr;

  dvdi::HostSignalsBlocked blocked;  // inherited by every thread the runtime creates
  auto runtime = std::make_shared<dvdi::Runtime>(std::move(parameters), std::move(options), log,
                                                 log_context);
  runtime->self = runtime;
  if (!runtime->start(error)) return nullptr;
  return new dvdi_runtime{std::move(runtime)};
}

void refuse(dvdi_done_fn done, void* context, const char* message) {
  done(context, 0, reinterpret_cast<const uint8_t*>(message), std::strlen(message));
}

}  // namespace

extern "C" {

dvdi_runtime* dvdi_runtime_start(const dvdi_param* params, size_t param_count, dvdi_log_fn log,
                                 void* log_context, char* error, size_t error_size) {
  std::string reason;
  try {
    dvdi_runtime* runtime = start(params, param_count, log, log_context, &reason);
    if (runtime) return runtime;
  } catch (const std::exception& e) {
    reason = std::string("dvdi runtime cannot start: ") + e.what();
  }
  copy_error(reason, error, error_size);
  return nullptr;
}

void dvdi_runtime_call(dvdi_runtime* runtime, int kind, const uint8_t* request, size_t request_size,
                       uint32_t timeout_ms, dvdi_done_fn done, void* context) {
  if (runtime == nullptr) {
    refuse(done, context, "no dvdi runtime");
    return;
  }
  try {
    runtime->runtime->calls().submit(kind, request, request_size, timeout_ms, done, context);
  } catch (const std::exception&) {
    refuse(done, context, "dvdi runtime is out of memory");
  }
}

void dvdi_runtime_stop(dvdi_runtime* runtime) {
  if (runtime == nullptr) return;
  runtime->runtime->stop();
  delete runtime;
}

int dvdi_runtime_abi_version(void) { return DVDI_RUNTIME_ABI_VERSION; }

}  // extern "C"
