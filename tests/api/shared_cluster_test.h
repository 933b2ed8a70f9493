// A GoogleTest suite whose tests share one ApiCluster, started once for the
// suite (starting real servers is the slow part of these tests). Derived
// defines `static std::unique_ptr<ApiCluster> MakeCluster()`; if the
// cluster does not start, every test of the suite fails with the reason.
#ifndef CKRON_TESTS_API_SHARED_CLUSTER_TEST_H_
#define CKRON_TESTS_API_SHARED_CLUSTER_TEST_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "api_harness.h"

namespace ckron::testing {

template <typename Derived>
class SharedApiClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    failed_start_.clear();
    cluster_ = Derived::MakeCluster();
    if (const Status s = cluster_->Start(); !s.ok()) failed_start_ = s.ToString();
  }
  static void TearDownTestSuite() { cluster_.reset(); }
  void SetUp() override { ASSERT_TRUE(failed_start_.empty()) << failed_start_; }

  static inline std::unique_ptr<ApiCluster> cluster_;
  static inline std::string failed_start_;
};

}  // namespace ckron::testing

#endif  // CKRON_TESTS_API_SHARED_CLUSTER_TEST_H_
