# Builds and runs a consumer project (script mode). Inputs: MODE, PROJECT_DIR, WORK_DIR, PREFIX,
# LOWBIT_SOURCE, CXX. The README's example is cut out of README.md between the markers
# "<!-- readme-example:begin -->" and "<!-- readme-example:end -->", fences removed, unchanged otherwise.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

file(READ ${LOWBIT_SOURCE}/README.md readme)
string(FIND "${readme}" "<!-- readme-example:begin -->" begin)
string(FIND "${readme}" "<!-- readme-example:end -->" end)
if(begin EQUAL -1 OR end EQUAL -1 OR end LESS begin)
  message(FATAL_ERROR "README.md has no readme-example markers")
endif()
string(SUBSTRING "${readme}" ${begin} ${end}-${begin} block)
string(FIND "${block}" "```cpp\n" fence)
string(FIND "${block}" "\n```" close REVERSE)
if(fence EQUAL -1 OR close EQUAL -1)
  message(FATAL_ERROR "the README example is not a ```cpp block")
endif()
math(EXPR start "${fence} + 7")
math(EXPR length "${close} + 1 - ${start}")
string(SUBSTRING "${block}" ${start} ${length} code)
file(WRITE ${WORK_DIR}/readme_example.cpp "${code}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

run(${CMAKE_COMMAND} -S ${PROJECT_DIR} -B ${WORK_DIR}/build -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${PREFIX} -DLOWBIT_SOURCE=${LOWBIT_SOURCE} --no-warn-unused-cli
    -DEXAMPLE_SOURCE=${WORK_DIR}/readme_example.cpp -DEIGEN_SOURCE=${LOWBIT_SOURCE}/tests/consumer/eigen_consumer.cpp)

if(MODE STREQUAL "add_subdirectory")
  file(READ ${WORK_DIR}/build/lowbit/cmake_install.cmake install_script)
  if(install_script MATCHES "file\\(INSTALL")
    message(FATAL_ERROR "add_subdirectory(lowbit) added install rules")
  endif()
endif()

run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/readme_example)
run(${WORK_DIR}/build/eigen_consumer)
