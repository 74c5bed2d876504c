# One line per fuzz target: wssim_fuzz_target(NAME LIBS...) builds
# tests/fuzz/fuzz_NAME.c; seeds live in tests/fuzz/corpus/NAME/.
wssim_fuzz_target(ajp wssim_proto)
wssim_fuzz_target(pmd wssim_proto)
wssim_fuzz_target(http1 wssim_proto)
wssim_fuzz_target(ws_frame wssim_proto)
wssim_fuzz_target(scn wssim_scenario)
wssim_fuzz_target(cap_session wssim_capture)
wssim_fuzz_target(cap_reasm wssim_capture)
wssim_fuzz_target(cap_tls wssim_capture)
wssim_fuzz_target(cap_tls_hello wssim_capture)
