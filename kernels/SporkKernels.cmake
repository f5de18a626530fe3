# spork_add_code_objects(OUT_VAR <var> TARGETS <gfx...> SOURCES <file.cl...>
#                        [OPT -O3] [SUFFIX _o0] [EXTRA_FLAGS ...] [OUTDIR dir])
# Compiles OpenCL C with clang-19 for each amdgcn target and links each with ld.lld-19
# into an amdhsa code object: <OUTDIR>/<target>/<name><SUFFIX>.co.
# Appends "target/name<SUFFIX>=path" pairs to OUT_VAR (for spork_embed) and the
# paths to OUT_VAR_FILES.
function(spork_add_code_objects)
  cmake_parse_arguments(K "" "OUT_VAR;OPT;SUFFIX;OUTDIR" "TARGETS;SOURCES;EXTRA_FLAGS" ${ARGN})
  if(NOT K_OPT)
    set(K_OPT -O3)
  endif()
  if(NOT K_OUTDIR)
    set(K_OUTDIR "${CMAKE_BINARY_DIR}/kernels")
  endif()
  set(pairs ${${K_OUT_VAR}})
  set(files ${${K_OUT_VAR}_FILES})
  foreach(gpu IN LISTS K_TARGETS)
    foreach(src IN LISTS K_SOURCES)
      get_filename_component(name "${src}" NAME_WE)
      get_filename_component(abs "${src}" ABSOLUTE)
      set(dir "${K_OUTDIR}/${gpu}")
      set(obj "${dir}/${name}${K_SUFFIX}.o")
      set(co "${dir}/${name}${K_SUFFIX}.co")
      add_custom_command(
        OUTPUT "${co}"
        COMMAND ${CMAKE_COMMAND} -E make_directory "${dir}"
        COMMAND ${SPORK_CLANG} -x cl -cl-std=CL2.0 --target=amdgcn-amd-amdhsa -mcpu=${gpu}
                -nogpulib ${K_OPT} ${K_EXTRA_FLAGS} -c "${abs}" -o "${obj}"
        COMMAND ${SPORK_LLD} -shared "${obj}" -o "${co}"
        DEPENDS "${abs}"
        COMMENT "clang-19 ${K_OPT} ${gpu}: ${name}${K_SUFFIX}.co"
        VERBATIM)
      list(APPEND pairs "${gpu}/${name}${K_SUFFIX}=${co}")
      list(APPEND files "${co}")
    endforeach()
  endforeach()
  set(${K_OUT_VAR} "${pairs}" PARENT_SCOPE)
  set(${K_OUT_VAR}_FILES "${files}" PARENT_SCOPE)
endfunction()
