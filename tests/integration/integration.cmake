# Integration tests with real peers (python3-websockets, node-ws, apache2,
# nginx, haproxy). Each is a script that exits 77 with a reason to skip.
