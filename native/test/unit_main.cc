// Runs every TEST of the native unit tests; prints one line per case.
#include "check.h"

int main() {
  for (const dvdi_test::Case& c : dvdi_test::cases()) {
    int before = dvdi_test::failures();
    c.run();
    std::printf("%s %s\n", dvdi_test::failures() == before ? "ok" : "FAIL", c.name);
  }
  std::printf("%zu cases, %d failed checks\n", dvdi_test::cases().size(), dvdi_test::failures());
  return dvdi_test::failures() == 0 ? 0 : 1;
}
