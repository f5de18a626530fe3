# spork_embed(TARGET <lib> NAMESPACE <ns> FILES name=path ...)
# Embeds build-time files into a static library through .incbin, and generates
# a registry so code finds them by name:  <ns>::find("name") -> std::span<const uint8_t>.
# Every blob is followed by a NUL byte (not counted in its size) so text can be used as a C string.
function(spork_embed)
  cmake_parse_arguments(E "" "TARGET;NAMESPACE" "FILES" ${ARGN})
  set(asm "${CMAKE_CURRENT_BINARY_DIR}/${E_TARGET}_blobs.S")
  set(cpp "${CMAKE_CURRENT_BINARY_DIR}/${E_TARGET}_registry.cpp")
  set(hdr_dir "${CMAKE_CURRENT_BINARY_DIR}/${E_TARGET}_include")
  set(hdr "${hdr_dir}/${E_TARGET}.h")
  set(asm_text "    .section .rodata\n")
  set(decls "")
  set(entries "")
  set(deps "")
  set(i 0)
  foreach(pair IN LISTS E_FILES)
    string(FIND "${pair}" "=" eq)
    string(SUBSTRING "${pair}" 0 ${eq} name)
    math(EXPR start "${eq} + 1")
    string(SUBSTRING "${pair}" ${start} -1 path)
    list(APPEND deps "${path}")
    string(APPEND asm_text "    .balign 16\n    .global ${E_TARGET}_blob_${i}\n${E_TARGET}_blob_${i}:\n    .incbin \"${path}\"\n    .global ${E_TARGET}_blob_${i}_end\n${E_TARGET}_blob_${i}_end:\n    .byte 0\n")
    string(APPEND decls "extern \"C\" const unsigned char ${E_TARGET}_blob_${i}[], ${E_TARGET}_blob_${i}_end[];\n")
    string(APPEND entries "    {\"${name}\", ${E_TARGET}_blob_${i}, ${E_TARGET}_blob_${i}_end},\n")
    math(EXPR i "${i} + 1")
  endforeach()
  string(APPEND asm_text "    .section .note.GNU-stack,\"\",@progbits\n")
  file(GENERATE OUTPUT "${asm}" CONTENT "${asm_text}")
  file(GENERATE OUTPUT "${hdr}" CONTENT
"#pragma once
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>
namespace ${E_NAMESPACE} {
struct Blob { std::string_view name; std::span<const uint8_t> data; };
// Every embedded blob, in the order it was declared.
const std::vector<Blob>& all();
// The blob called name, or an empty span when there is none.
std::span<const uint8_t> find(std::string_view name);
}
")
  file(GENERATE OUTPUT "${cpp}" CONTENT
"#include \"${E_TARGET}.h\"
${decls}
namespace ${E_NAMESPACE} {
namespace { struct Raw { const char* name; const unsigned char* b; const unsigned char* e; };
const Raw kRaw[] = {
${entries}}; }
const std::vector<Blob>& all() {
  static const std::vector<Blob> v = [] { std::vector<Blob> r; for (const Raw& x : kRaw) r.push_back({x.name, {x.b, size_t(x.e - x.b)}}); return r; }();
  return v;
}
std::span<const uint8_t> find(std::string_view name) {
  for (const Blob& b : all()) if (b.name == name) return b.data;
  return {};
}
}
")
  add_library(${E_TARGET} STATIC "${asm}" "${cpp}")
  set_source_files_properties("${asm}" PROPERTIES OBJECT_DEPENDS "${deps}")
  target_include_directories(${E_TARGET} PUBLIC "${hdr_dir}")
endfunction()

# spork_library(<name> [DEPS ...] [SOURCES ...] [DEFINES ...]): a static library of every .cpp in this folder
# (and the extra SOURCES), public include dir = the project root, so code includes
# "pm4/writer.h", "runtime/device.h" and so on.
function(spork_library name)
  cmake_parse_arguments(L "" "" "DEPS;SOURCES;DEFINES" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  list(APPEND srcs ${L_SOURCES})
  if(srcs)
    add_library(${name} STATIC ${srcs})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} PUBLIC ${L_DEPS})
    target_compile_definitions(${name} PUBLIC ${L_DEFINES})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${L_DEPS})
    target_compile_definitions(${name} INTERFACE ${L_DEFINES})
  endif()
endfunction()
