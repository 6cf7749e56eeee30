// The check the unit tests of the module's Mesos-free half use: each
// EXPECT counts as passed or failed, and a failure names its line.
#ifndef DVDI_MESOS_EXPECT_H
#define DVDI_MESOS_EXPECT_H

#include <stdio.h>

namespace dvdi {
namespace unit {

inline int& passed() {
  static int count = 0;
  return count;
}

inline int& failed() {
  static int count = 0;
  return count;
}

// Prints "N passed, N failed"; the exit status for main.
inline int report() {
  printf("%d passed, %d failed\n", passed(), failed());
  return failed() == 0 ? 0 : 1;
}

}  // namespace unit
}  // namespace dvdi

#define EXPECT(cond)                                                      \
  do {                                                                    \
    if (cond) {                                                           \
      ++dvdi::unit::passed();                                             \
    } else {                                                              \
      ++dvdi::unit::failed();                                             \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
    }                                                                     \
  } while (0)

#endif
