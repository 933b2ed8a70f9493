#include "api/ui_assets.h"

#include <gtest/gtest.h>

#include "api/api.h"
#include "api/testing/fake_backend.h"

namespace ckron::api {
namespace {

std::string Header(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// The first embedded file under assets/ (the build always emits the bundle).
const UiAsset* SomeHashedAsset() {
  for (const UiAsset& a : UiAssets()) {
    if (a.path.starts_with("assets/") && !a.path.ends_with(".gz")) return &a;
  }
  return nullptr;
}

TEST(UiAssets, TableIsSortedAndHasTheIndex) {
  const auto assets = UiAssets();
  for (std::size_t i = 1; i < assets.size(); ++i) EXPECT_LT(assets[i - 1].path, assets[i].path);
  ASSERT_NE(FindUiAsset("index.html"), nullptr);
  EXPECT_EQ(FindUiAsset("nope.html"), nullptr);
}

TEST(UiAssets, IndexIsNeverCachedWithoutRevalidation) {
  const Response r = ServeUi("", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(r, "Cache-Control"), "no-cache");
  EXPECT_NE(r.body.find("<"), std::string::npos);
}

TEST(UiAssets, UnknownPathsFallBackToTheIndexButMissingAssetsAre404) {
  const std::string index = ServeUi("index.html", "").body;
  EXPECT_EQ(ServeUi("jobs/some-job/edit", "").body, index);
  EXPECT_EQ(ServeUi("assets/gone-1234.js", "").status, 404);
  EXPECT_EQ(ServeUi("index.html.gz", "").body, index);  // twins are not addressable
}

TEST(UiAssets, HashedAssetsAreImmutableAndTyped) {
  const UiAsset* a = SomeHashedAsset();
  if (a == nullptr) GTEST_SKIP() << "built without the UI (no npm)";
  const Response r = ServeUi(a->path, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(r.body, a->data);
  if (a->path.ends_with(".js")) {
    EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  }
}

TEST(UiAssets, GzipTwinServedOnlyWhenAccepted) {
  const UiAsset* plain = nullptr;
  for (const UiAsset& a : UiAssets()) {
    if (a.path.ends_with(".gz")) {
      plain = FindUiAsset(a.path.substr(0, a.path.size() - 3));
      break;
    }
  }
  if (plain == nullptr) GTEST_SKIP() << "no precompressed asset";
  const std::string path(plain->path);
  Response r = ServeUi(path, "gzip, deflate, br");
  EXPECT_EQ(Header(r, "Content-Encoding"), "gzip");
  EXPECT_EQ(Header(r, "Vary"), "Accept-Encoding");
  EXPECT_EQ(r.body, FindUiAsset(path + ".gz")->data);
  r = ServeUi(path, "");
  EXPECT_EQ(Header(r, "Content-Encoding"), "");
  EXPECT_EQ(r.body, plain->data);
  EXPECT_EQ(Header(ServeUi(path, "gzip;q=0"), "Content-Encoding"), "");
  EXPECT_EQ(Header(ServeUi(path, "br;q=1, gzip;q=0.5"), "Content-Encoding"), "gzip");
}

TEST(UiAssets, RoutesRedirectTheRootAndServeDeepPaths) {
  testing::FakeBackend backend;
  Api api(ApiOptions{}, &backend);
  Request req;
  req.method = "GET";
  req.path = "/";
  Response r = api.Handle(req);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(Header(r, "Location"), "/ui/");
  for (const char* path : {"/ui", "/ui/", "/ui/jobs", "/ui/jobs/a", "/ui/jobs/a/edit"}) {
    req.path = path;
    r = api.Handle(req);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << path;
  }
}

}  // namespace
}  // namespace ckron::api
