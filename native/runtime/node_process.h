// What Node needs once per process, and what every thread that runs it
// needs first. Node cannot be initialised twice, so the platform lives until
// the process ends (the library is linked -z nodelete and never unloaded).
#ifndef DVDI_NODE_PROCESS_H
#define DVDI_NODE_PROCESS_H

#include <signal.h>

#include <string>

namespace node {
class MultiIsolatePlatform;
}

namespace dvdi {

// Blocks the host's signals on the calling thread for its lifetime, so that
// the threads created meanwhile (the runtime's, and through it V8's platform
// workers and libuv's pool) never take a signal meant for the host. SIGCHLD
// stays open: libuv reaps JavaScript's children with it.
class HostSignalsBlocked {
 public:
  HostSignalsBlocked();
  ~HostSignalsBlocked();
  HostSignalsBlocked(const HostSignalsBlocked&) = delete;
  HostSignalsBlocked& operator=(const HostSignalsBlocked&) = delete;

 private:
  sigset_t saved_;
};

// Initialises Node for the process on first use (with the calling thread's
// signal mask inherited by the platform's threads); NULL with a reason when
// that failed, now or before.
node::MultiIsolatePlatform* node_platform(std::string* error);

}  // namespace dvdi

#endif
