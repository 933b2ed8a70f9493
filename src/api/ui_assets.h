// The web UI (ui/), embedded in the binary at build time by
// cmake/UiBuild.cmake, and the routes that serve it (docs/ui.md).
//
// Thread safety: the table is immutable; the handlers are safe for
// concurrent use.
#ifndef CKRON_API_UI_ASSETS_H_
#define CKRON_API_UI_ASSETS_H_

#include <span>
#include <string_view>

#include "api/http_types.h"
#include "api/router.h"

namespace ckron::api {

struct UiAsset {
  std::string_view path;  // relative to the UI's root: "index.html", "assets/x.js"
  std::string_view data;
};

// Every built file, sorted by path. A text file `f` may have a gzip twin
// `f.gz` (same content, precompressed by the UI build). Generated.
std::span<const UiAsset> UiAssets();

// The asset at `path`, or nullptr.
const UiAsset* FindUiAsset(std::string_view path);

// The response for GET `/ui/<rest>` (`rest` without the leading "/ui/"):
//   - a built file with its content type; `Cache-Control: public,
//     max-age=31536000, immutable` under assets/ (Vite puts a content hash
//     in those names), `no-cache` for everything else;
//   - its `.gz` twin with `Content-Encoding: gzip` when `accept_encoding`
//     allows gzip (and `Vary: Accept-Encoding` whenever a twin exists);
//   - index.html for any other path (the UI routes in the browser), except
//     a missing file under assets/, which is a 404.
Response ServeUi(std::string_view rest, std::string_view accept_encoding);

namespace internal {
// GET /ui, /ui/{…} (up to three segments; the UI's own paths are no
// deeper) and GET / → 302 /ui/.
void AddUiRoutes(Router& router);
}  // namespace internal

}  // namespace ckron::api

#endif  // CKRON_API_UI_ASSETS_H_
