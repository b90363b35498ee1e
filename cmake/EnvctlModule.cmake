# Compile flags shared by every target of the project.
add_library(envctl_flags INTERFACE)
target_compile_options(envctl_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                              -Wold-style-cast -Wcast-align)
# A unity build includes each .cpp into a batch file, so g++ takes the pimpl classes defined in a
# .cpp for header classes and warns that their members use the anonymous namespace; they don't
# leave the batch.
if(CMAKE_UNITY_BUILD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(envctl_flags INTERFACE -Wno-subobject-linkage)
endif()
if(ENVCTL_SANITIZE)
  target_compile_options(envctl_flags INTERFACE -fsanitize=${ENVCTL_SANITIZE} -fno-omit-frame-pointer
                                                -fno-sanitize-recover=all)
  target_link_options(envctl_flags INTERFACE -fsanitize=${ENVCTL_SANITIZE})
endif()
if(ENVCTL_FUZZ)
  target_compile_options(envctl_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(envctl_flags INTERFACE -fsanitize=address,undefined)
endif()

# envctl_module(NAME [DEPS target...] [PRIVATE_DEPS target...])
# Builds src/NAME/*.cpp into the static library envctl::NAME; headers live in include/envctl/NAME/.
function(envctl_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(envctl_${name} STATIC ${sources})
  add_library(envctl::${name} ALIAS envctl_${name})
  target_include_directories(envctl_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(envctl_${name} PUBLIC ${ARG_DEPS} PRIVATE envctl_flags ${ARG_PRIVATE_DEPS})
endfunction()
