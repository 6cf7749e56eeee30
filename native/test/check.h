// A minimal test harness for the native unit tests: no framework to install.
#ifndef DVDI_TEST_CHECK_H
#define DVDI_TEST_CHECK_H

#include <cstdio>
#include <vector>

namespace dvdi_test {

struct Case {
  const char* name;
  void (*run)();
};

inline std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}

inline int& failures() {
  static int count = 0;
  return count;
}

struct Register {
  Register(const char* name, void (*run)()) { cases().push_back({name, run}); }
};

}  // namespace dvdi_test

#define TEST(name)                                              \
  static void name();                                           \
  static dvdi_test::Register register_##name(#name, name);      \
  static void name()

#define CHECK(condition)                                                              \
  do {                                                                                \
    if (!(condition)) {                                                               \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #condition); \
      ++dvdi_test::failures();                                                        \
    }                                                                                 \
  } while (0)

#define CHECK_EQ(actual, expected)                                                     \
  do {                                                                                 \
    auto dvdi_a = (actual);                                                            \
    auto dvdi_e = (expected);                                                          \
    if (!(dvdi_a == dvdi_e)) {                                                         \
      std::fprintf(stderr, "%s:%d: %s == %s failed\n", __FILE__, __LINE__, #actual, #expected); \
      ++dvdi_test::failures();                                                         \
    }                                                                                  \
  } while (0)

#endif
