// A child process for the shell executor's tests.
//   test_child alloc BYTES        allocate and touch BYTES, print "allocated", wait forever
//   test_child alloc-exit BYTES   allocate and touch BYTES, print "allocated", exit 0
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s alloc|alloc-exit BYTES\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const std::size_t bytes = std::strtoull(argv[2], nullptr, 10);
  if (mode != "alloc" && mode != "alloc-exit") return 2;
  auto* block = static_cast<char*>(std::malloc(bytes));
  if (block == nullptr) return 3;
  std::memset(block, 1, bytes);                                // resident, not just reserved
  std::printf("allocated %zu %d\n", bytes, block[bytes / 2]);  // read: the memset stays
  std::fflush(stdout);
  if (mode == "alloc-exit") {
    std::free(block);
    return 0;
  }
  while (true) pause();  // until killed
}
