#include "api/multipart.h"

#include <gtest/gtest.h>

namespace ckron::api {
namespace {

TEST(Multipart, FindsNamedField) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nno\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"j.json\"\r\n"
      "Content-Type: application/json\r\n\r\n[{\"name\":\"a\"}]\r\n--XyZ--\r\n";
  auto f = MultipartField("multipart/form-data; boundary=XyZ", body, "file");
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, "[{\"name\":\"a\"}]");
  EXPECT_FALSE(MultipartField("multipart/form-data; boundary=XyZ", body, "missing"));
  EXPECT_FALSE(MultipartField("application/json", body, "file"));
  EXPECT_FALSE(MultipartField("multipart/form-data; boundary=XyZ", "--XyZ\r\ngarbage", "file"));
}

}  // namespace
}  // namespace ckron::api
