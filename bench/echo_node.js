#!/usr/bin/env node
// Minimal websocket echo server on node `ws` (Debian node-ws; run with
// NODE_PATH=/usr/share/nodejs), the peer wssim's mock is compared with in
// bench/run.sh. Usage: echo_node.js [PORT] (0 or absent: a free port).
// Listens on 127.0.0.1 only, prints "listening http 127.0.0.1:PORT" on
// stdout once it accepts, and echoes every message as one message of the
// same type. permessage-deflate is off, as in the mock and the Python
// server, so every server does the same work. A plain GET gets ws's
// "426 Upgrade Required" (an HTTP answer, which is what the start-up
// timing waits for). Stops on SIGTERM/SIGINT.
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 0);
const server = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('Upgrade Required');
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
  const a = server.address();
  process.stdout.write(`listening http ${a.address}:${a.port} (node ${process.version}, ws ${require('ws/package.json').version}, permessage-deflate off)\n`);
});
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
