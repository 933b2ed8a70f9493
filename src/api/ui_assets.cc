#include "api/ui_assets.h"

#include <algorithm>
#include <string>

namespace ckron::api {
namespace {

std::string_view ContentType(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

// Whether an Accept-Encoding value allows gzip: listed, and not with q=0.
bool AcceptsGzip(std::string_view accept) {
  std::size_t pos = 0;
  while (pos <= accept.size()) {
    std::size_t end = accept.find(',', pos);
    if (end == std::string_view::npos) end = accept.size();
    std::string_view item = accept.substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const std::size_t semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding == "gzip" || coding == "*") {
      if (semi == std::string_view::npos) return true;
      std::string_view params = item.substr(semi + 1);
      const std::size_t q = params.find("q=");
      if (q == std::string_view::npos) return true;
      const std::string_view v = params.substr(q + 2);
      return !(v.starts_with("0") && v.find_first_of("123456789") == std::string_view::npos);
    }
    pos = end + 1;
  }
  return false;
}

}  // namespace

const UiAsset* FindUiAsset(std::string_view path) {
  const auto assets = UiAssets();
  const auto it = std::lower_bound(assets.begin(), assets.end(), path,
                                   [](const UiAsset& a, std::string_view p) { return a.path < p; });
  return it != assets.end() && it->path == path ? &*it : nullptr;
}

Response ServeUi(std::string_view rest, std::string_view accept_encoding) {
  std::string path(rest);
  const UiAsset* asset = path.empty() || path.ends_with(".gz") ? nullptr : FindUiAsset(path);
  if (asset == nullptr) {
    if (path.starts_with("assets/")) return TextError(404, "no UI asset " + path);
    path = "index.html";  // a path the UI routes itself
    asset = FindUiAsset(path);
    if (asset == nullptr) return TextError(404, "the UI is not built into this binary");
  }
  Response r;
  r.content_type = std::string(ContentType(path));
  r.SetHeader("Cache-Control",
              path.starts_with("assets/") ? "public, max-age=31536000, immutable" : "no-cache");
  r.SetHeader("X-Content-Type-Options", "nosniff");
  if (const UiAsset* gz = FindUiAsset(path + ".gz")) {
    r.SetHeader("Vary", "Accept-Encoding");
    if (AcceptsGzip(accept_encoding)) {
      r.SetHeader("Content-Encoding", "gzip");
      asset = gz;
    }
  }
  r.body = std::string(asset->data);
  return r;
}

namespace internal {

void AddUiRoutes(Router& router) {
  router.Add("GET", "/", [](Request&) {
    Response r;
    r.status = 302;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "the web UI is at /ui/\n";
    r.SetHeader("Location", "/ui/");
    return r;
  });
  const Handler serve = [](Request& request) {
    std::string_view rest = request.path;
    rest.remove_prefix(std::min<std::size_t>(rest.size(), 3));  // "/ui"
    while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    return ServeUi(rest, request.Header("accept-encoding"));
  };
  for (const char* pattern : {"/ui", "/ui/{a}", "/ui/{a}/{b}", "/ui/{a}/{b}/{c}"}) {
    router.Add("GET", pattern, serve);
  }
}

}  // namespace internal
}  // namespace ckron::api
