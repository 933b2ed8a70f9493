# Every third-party dependency is found here, once, so that modules only name
# targets. All come from Debian 12 packages installed by tools/setup.sh.

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

find_package(absl CONFIG REQUIRED)            # libabsl-dev: time zones (cctz), strings
find_package(spdlog CONFIG REQUIRED)          # libspdlog-dev
find_package(CLI11 CONFIG REQUIRED)           # libcli11-dev
find_package(yaml-cpp CONFIG REQUIRED)        # libyaml-cpp-dev (target: yaml-cpp)
find_package(nlohmann_json CONFIG REQUIRED)   # nlohmann-json3-dev
find_package(OpenSSL REQUIRED)                # libssl-dev
find_package(ZLIB REQUIRED)                   # zlib1g-dev: CRC-32 of gossip packets
find_package(Boost REQUIRED)                  # libboost-dev: Asio (gossip UDP/TCP)
# canonical raft 0.15 + its libuv I/O (reference/deps.md §1). raft.pc does not
# list libuv, so both modules are named. Only src/raft/ links this.
pkg_check_modules(RAFT REQUIRED IMPORTED_TARGET raft libuv)
# gRPC + protobuf (reference/deps.md §2): gRPC ships a CMake config; Debian's
# protobuf does not, so CMake's FindProtobuf module finds it.
find_package(Protobuf REQUIRED)               # libprotobuf-dev, protobuf-compiler
find_package(gRPC CONFIG REQUIRED)            # libgrpc++-dev, protobuf-compiler-grpc
find_package(RocksDB CONFIG REQUIRED)         # librocksdb-dev: execution records on disk
find_package(prometheus-cpp CONFIG REQUIRED)  # prometheus-cpp-dev: metrics registry, text format
find_package(CURL REQUIRED)                   # libcurl4-openssl-dev: the http executor (CURL::libcurl)
# RE2 (libre2-dev, installed with gRPC): the http executor's expectBody, Go's
# regexp syntax without catastrophic backtracking. Named through pkg-config so
# it does not depend on gRPC's Findre2 module.
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
# jemalloc (libjemalloc-dev): the ckron binary's allocator. glibc's malloc
# spent 15-25 % of a leader's CPU under the REST write load, much of it
# consolidating and searching its bins (docs/benchmarks_rest.md).
# Not with sanitizers, which bring their own allocator.
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)

if(CKRON_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)         # libgtest-dev, libgmock-dev
endif()
if(CKRON_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)     # libbenchmark-dev
endif()
