# One line per Check suite: wssim_check_suite(NAME LIBS...) builds
# tests/unit/test_NAME.c.
wssim_check_suite(proto_buf wssim_proto)
wssim_check_suite(ajp wssim_proto)
wssim_check_suite(pmd wssim_proto)
wssim_check_suite(http1 wssim_proto)
wssim_check_suite(ws_handshake wssim_proto)
wssim_check_suite(tls wssim_proto)
wssim_check_suite(ws_frame wssim_proto)
wssim_check_suite(ws_utf8 wssim_proto)
wssim_check_suite(mock_answer wssim_mock)
wssim_check_suite(mock_loop wssim_mock)
wssim_check_suite(proxy wssim_sim)
wssim_check_suite(client wssim_sim wssim_mock)
