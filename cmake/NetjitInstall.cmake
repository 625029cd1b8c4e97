# Install rules: the libraries of the C++ API, their headers, and a CMake
# package so another project can write
#
#   find_package(netjit REQUIRED)
#   target_link_libraries(app PRIVATE netjit::frontend)
#
# Exported targets: netjit::ir, netjit::passes, netjit::runtime,
# netjit::codegen and netjit::frontend (static libraries; codegen brings
# libLLVM through the interface target netjit::llvm). Headers go to
# include/netjit/<layer>/ and are included as "frontend/netjit.h".
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(_netjit_exported netjit_ir netjit_passes netjit_runtime netjit_codegen
    netjit_frontend netjit_llvm)
foreach(_lib ${_netjit_exported})
  string(REPLACE "netjit_" "" _short ${_lib})
  set_target_properties(${_lib} PROPERTIES EXPORT_NAME ${_short})
  target_include_directories(${_lib} INTERFACE
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/netjit>)
  # Instrumented libraries need the sanitizer runtimes in whatever links
  # them: an installed sanitizer build passes its link flags on.
  if(NETJIT_SANITIZE)
    target_link_options(${_lib} INTERFACE
      $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
  endif()
endforeach()

install(TARGETS ${_netjit_exported} EXPORT netjitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/netjit)
foreach(_dir ir passes runtime codegen frontend)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${_dir}/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/netjit/${_dir}
    FILES_MATCHING PATTERN "*.h" PATTERN "*.def")
endforeach()

set(_netjit_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/netjit)
install(EXPORT netjitTargets NAMESPACE netjit:: DESTINATION ${_netjit_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/netjitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/netjitConfig.cmake
  INSTALL_DESTINATION ${_netjit_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/netjitConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/netjitConfig.cmake
              ${PROJECT_BINARY_DIR}/netjitConfigVersion.cmake
        DESTINATION ${_netjit_cmake_dir})
