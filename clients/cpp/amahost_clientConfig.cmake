# find_package(amahost_client): the targets amahost::client (ExtensionClient) and
# amahost::pipes_client (the blocking pipes::Client). The libraries are static; these are the
# system libraries they link (Debian: libfmt-dev zlib1g-dev libssl-dev libdeflate-dev).
include(CMakeFindDependencyMacro)
find_dependency(fmt)
find_dependency(ZLIB)
find_dependency(OpenSSL)
find_dependency(PkgConfig)
if(NOT TARGET PkgConfig::libdeflate)
  pkg_check_modules(libdeflate REQUIRED IMPORTED_TARGET libdeflate)
endif()
include(${CMAKE_CURRENT_LIST_DIR}/amahost_clientTargets.cmake)
