# The browser side's build steps for CMake: `npm run gen` (protobuf-es code
# from proto/ into web/src/gen), `npm run build:test-page` (the gateway
# test page into web/test/gateway/static, which the gateway E2E tests serve)
# and `npm run build:app` (the web UI into web/app/dist, which the UI tests
# and ./run serve). The top-level CMakeLists includes this file; target
# web_assets runs all three when a proto, the page, the app or the npm setup
# changed (a stamp file in the build
# directory records the last run). npm packages are not installed here:
# without web/node_modules the target fails and says to run `npm ci`.
#
# The same file is the build step itself when run as a script
# (cmake -DWEB_DIR=... -P web.cmake), so the node_modules check happens at
# build time, not at configure time.

if(CMAKE_SCRIPT_MODE_FILE)
  if(NOT EXISTS "${WEB_DIR}/node_modules/.bin/protoc-gen-es")
    message(FATAL_ERROR
      "web/node_modules is missing: run npm ci --prefix web "
      "(installs the pinned packages of web/package-lock.json)")
  endif()
  if(NOT NPM)
    message(FATAL_ERROR "npm not found: apt-get install npm")
  endif()
  foreach(script gen build:test-page build:app)
    execute_process(COMMAND "${NPM}" run --silent ${script}
      WORKING_DIRECTORY "${WEB_DIR}" RESULT_VARIABLE result)
    if(NOT result EQUAL 0)
      message(FATAL_ERROR "npm run ${script} in web/ failed (${result})")
    endif()
  endforeach()
  return()
endif()

set(TURNSTILE_WEB_DIR ${CMAKE_CURRENT_LIST_DIR})
find_program(TURNSTILE_NPM npm)
file(GLOB TURNSTILE_WEB_PROTOS CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/proto/turnstile/v1/*.proto)
file(GLOB TURNSTILE_WEB_PAGE_SOURCES CONFIGURE_DEPENDS
  ${TURNSTILE_WEB_DIR}/test/gateway/page/*)
file(GLOB_RECURSE TURNSTILE_WEB_APP_SOURCES CONFIGURE_DEPENDS
  ${TURNSTILE_WEB_DIR}/app/index.html ${TURNSTILE_WEB_DIR}/app/vite.config.mjs
  ${TURNSTILE_WEB_DIR}/app/src/*)
set(TURNSTILE_WEB_STAMP ${CMAKE_CURRENT_BINARY_DIR}/web_assets.stamp)

# The directories the C++ build found for google/rpc and google/protobuf
# protos (top-level CMakeLists), handed to gen.mjs so both agree.
set(TURNSTILE_WEB_ENV)
if(TURNSTILE_GOOGLEAPIS_PROTO_DIR)
  list(APPEND TURNSTILE_WEB_ENV
    GOOGLEAPIS_PROTO_DIR=${TURNSTILE_GOOGLEAPIS_PROTO_DIR})
endif()
if(TURNSTILE_PROTOBUF_PROTO_DIR)
  list(APPEND TURNSTILE_WEB_ENV
    PROTOBUF_PROTO_DIR=${TURNSTILE_PROTOBUF_PROTO_DIR})
endif()

add_custom_command(
  OUTPUT ${TURNSTILE_WEB_STAMP}
  COMMAND ${CMAKE_COMMAND} -E env ${TURNSTILE_WEB_ENV}
          ${CMAKE_COMMAND} -DWEB_DIR=${TURNSTILE_WEB_DIR}
          -DNPM=${TURNSTILE_NPM} -P ${TURNSTILE_WEB_DIR}/web.cmake
  COMMAND ${CMAKE_COMMAND} -E touch ${TURNSTILE_WEB_STAMP}
  DEPENDS ${TURNSTILE_WEB_PROTOS} ${TURNSTILE_WEB_PAGE_SOURCES}
          ${TURNSTILE_WEB_APP_SOURCES}
          ${TURNSTILE_WEB_DIR}/scripts/gen.mjs
          ${TURNSTILE_WEB_DIR}/package.json
          ${TURNSTILE_WEB_DIR}/package-lock.json
          ${TURNSTILE_WEB_DIR}/web.cmake
  WORKING_DIRECTORY ${TURNSTILE_WEB_DIR}
  COMMENT "web: npm run gen, build:test-page, build:app"
  VERBATIM)
add_custom_target(web_assets ALL DEPENDS ${TURNSTILE_WEB_STAMP})
