# cmake -DIN=<file> -DOUT=<file.cc> -DNAMESPACE=<ns> -DFUNCTION=<name> -P EmbedFile.cmake
# Writes a C++ source defining `std::string_view <ns>::<name>()` that returns
# the bytes of IN, so a file under docs/ can be served by the binary while
# staying the one source of truth.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN} by cmake/EmbedFile.cmake; do not edit.\n"
  "#include <string_view>\n"
  "namespace ${NAMESPACE} {\n"
  "namespace {\nconst char kBytes[] = {${bytes} 0};\n}  // namespace\n"
  "std::string_view ${FUNCTION}() { return {kBytes, sizeof(kBytes) - 1}; }\n"
  "}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
