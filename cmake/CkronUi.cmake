# The web UI (ui/): built with npm and embedded into ckron_api as a
# generated source (cmake/UiBuild.cmake does the work; docs/ui.md).
# Sets CKRON_UI_ASSETS_CC to the generated file, for the module's SOURCES.
#
# The step reruns when anything under ui/ that the build reads changes;
# `npm ci` runs only when ui/node_modules is missing or stale. Without npm
# the binary embeds a notice page instead of the UI.
find_program(CKRON_NPM npm)
if(NOT CKRON_NPM)
  message(WARNING "npm not found: the ckron binary will not contain the web UI "
                  "(tools/setup.sh installs nodejs + npm)")
  set(CKRON_NPM "")
endif()

set(CKRON_UI_DIR "${PROJECT_SOURCE_DIR}/ui")
file(GLOB_RECURSE ckron_ui_sources CONFIGURE_DEPENDS
  "${CKRON_UI_DIR}/src/*" "${CKRON_UI_DIR}/public/*")
list(FILTER ckron_ui_sources EXCLUDE REGEX "\\.test\\.tsx?$")
set(CKRON_UI_ASSETS_CC "${CMAKE_CURRENT_BINARY_DIR}/ui_assets_data.cc")
add_custom_command(
  OUTPUT ${CKRON_UI_ASSETS_CC}
  COMMAND ${CMAKE_COMMAND} -DUI=${CKRON_UI_DIR} -DDIST=${CMAKE_CURRENT_BINARY_DIR}/ui-dist
          -DOUT=${CKRON_UI_ASSETS_CC} -DNPM=${CKRON_NPM}
          -P ${PROJECT_SOURCE_DIR}/cmake/UiBuild.cmake
  DEPENDS ${ckron_ui_sources}
          ${CKRON_UI_DIR}/index.html ${CKRON_UI_DIR}/package.json
          ${CKRON_UI_DIR}/package-lock.json ${CKRON_UI_DIR}/vite.config.ts
          ${CKRON_UI_DIR}/tsconfig.json ${PROJECT_SOURCE_DIR}/cmake/UiBuild.cmake
  COMMENT "Building and embedding the web UI (ui/)"
  USES_TERMINAL)
