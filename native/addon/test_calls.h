// The addon's native test hook: native threads submitting calls to a call
// table the way a Mesos agent's threads do, recording every completion so a
// test can check that none is wrong, lost or doubled.
#ifndef DVDI_ADDON_TEST_CALLS_H
#define DVDI_ADDON_TEST_CALLS_H

#include <napi.h>

#include <memory>
#include <mutex>
#include <vector>

#include "call_table.h"

namespace dvdi {

struct CallBatch;

// Keeps every batch alive while its table may still complete calls: declare
// it before the table it serves, so it is destroyed after it.
class CallBatches {
 public:
  std::shared_ptr<CallBatch> add(std::shared_ptr<CallBatch> batch);

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<CallBatch>> batches_;
};

// makeCalls({ threads, calls, kinds, bytes, timeoutMs }) → Promise of
// { results: [{ thread, index, kind, ok, data }], counts(): number[] }.
// Each request starts with thread, index and kind as little-endian u32s;
// counts() re-reads how many completions each call has had so far.
// keep_alive: owner of table and batches, held by the submitting threads.
Napi::Value make_calls(const Napi::CallbackInfo& info, CallTable& table, CallBatches& batches,
                       std::shared_ptr<void> keep_alive);

}  // namespace dvdi

#endif
