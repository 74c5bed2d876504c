# Integration tests with real peers (python3-websockets, node-ws, apache2,
# nginx, haproxy). Each is a script that exits 77 with a reason to skip.
wssim_integration(python_ws_direct /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/python_ws_direct.py)
wssim_integration(node_ws_direct node ${CMAKE_CURRENT_SOURCE_DIR}/integration/node_ws_direct.js)
wssim_integration(raw_frames /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/raw_frames.py)
wssim_integration(apache_ajp /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/apache_ajp.py)
wssim_integration(apache_wstunnel /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/apache_wstunnel.py)
wssim_integration(nginx /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/nginx.py)
wssim_integration(haproxy /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/haproxy.py)
wssim_integration(mock_cli /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/mock_cli.py)
wssim_integration(run_cli /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/run_cli.py)
# Every bundled scenario is a test of its own: `wssim run` must pass it.
file(GLOB bundled CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scenarios/*.scn)
foreach(scn IN LISTS bundled)
  get_filename_component(n ${scn} NAME_WE)
  add_test(NAME scenario.${n} COMMAND wssim run --no-color ${scn})
  set_tests_properties(scenario.${n} PROPERTIES LABELS scenario TIMEOUT 120)
endforeach()
wssim_integration(capture_cli /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/capture_cli.py)
