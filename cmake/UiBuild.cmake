# cmake -DUI=<ui dir> -DDIST=<out dir> -DOUT=<file.cc> -DNPM=<npm or ""> -P UiBuild.cmake
#
# Builds the web UI (ui/) and writes a C++ source embedding every built file,
# so the `ckron` binary serves the UI with no files beside it
# (src/api/ui_assets.h declares the table, docs/ui.md explains the steps):
#   1. `npm ci` when ui/node_modules is missing or older than package-lock.json;
#   2. `npm run build` into DIST (inside the build tree, so several build
#      directories never write the same folder);
#   3. one `const unsigned char[]` per file plus a sorted table of
#      {path, bytes}. Vite's build also writes `<file>.gz` for text files;
#      they are embedded under that name and served when the client accepts gzip.
# Without npm (NPM empty) it embeds a one-page notice instead, so the C++
# build still works on a machine without Node.
# npm ci rewrites ui/node_modules, which every build directory shares: a
# file lock serialises concurrent builds.
cmake_minimum_required(VERSION 3.25)

if(NPM)
  file(LOCK "${UI}/.build.lock" GUARD PROCESS TIMEOUT 600)
  set(stamp "${UI}/node_modules/.package-lock.json")
  set(need_ci TRUE)
  if(EXISTS "${stamp}" AND NOT "${UI}/package-lock.json" IS_NEWER_THAN "${stamp}")
    set(need_ci FALSE)
  endif()
  if(need_ci)
    message(STATUS "ui: npm ci")
    execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --loglevel=error
                    WORKING_DIRECTORY "${UI}" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "ui: npm ci failed (${rc})")
    endif()
  endif()
  file(REMOVE_RECURSE "${DIST}")
  execute_process(COMMAND "${NPM}" run --silent build -- --outDir "${DIST}" --emptyOutDir
                  WORKING_DIRECTORY "${UI}" RESULT_VARIABLE rc)
  file(LOCK "${UI}/.build.lock" RELEASE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ui: npm run build failed (${rc})")
  endif()
else()
  file(REMOVE_RECURSE "${DIST}")
  file(WRITE "${DIST}/index.html"
    "<!doctype html><meta charset=utf-8><title>ckron</title>"
    "<p>This ckron binary was built without the web UI (npm was not found). "
    "The REST API is at <a href=\"/v1/\">/v1/</a>.</p>\n")
endif()

file(GLOB_RECURSE files RELATIVE "${DIST}" "${DIST}/*")
list(SORT files)  # the handler looks paths up by binary search
set(arrays "")
set(table "")
set(i 0)
foreach(f IN LISTS files)
  file(READ "${DIST}/${f}" hex HEX)
  string(LENGTH "${hex}" n)
  math(EXPR size "${n} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND arrays "const unsigned char k${i}[] = {${bytes} 0};\n")
  string(APPEND table "    {\"${f}\", {reinterpret_cast<const char*>(k${i}), ${size}}},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp"
  "// Generated from ui/ by cmake/UiBuild.cmake; do not edit.\n"
  "#include <span>\n"
  "#include \"api/ui_assets.h\"\n"
  "namespace ckron::api {\n"
  "namespace {\n${arrays}"
  "const UiAsset kAssets[] = {\n${table}};\n"
  "}  // namespace\n"
  "std::span<const UiAsset> UiAssets() { return kAssets; }\n"
  "}  // namespace ckron::api\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
