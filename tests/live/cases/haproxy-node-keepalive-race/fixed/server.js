// Live-tier Node server: `?sleep=S` sleeps S seconds; every connection the server closes after
// being kept alive is logged with how long it had been idle (to $LIVE_APP_LOG).
const http = require('http');
const fs = require('fs');

const log = (line) => process.env.LIVE_APP_LOG && fs.appendFileSync(process.env.LIVE_APP_LOG, line + '\n');

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://live');
  const secs = Number(url.searchParams.get('sleep') || 0);
  req.resume();
  req.on('end', () => setTimeout(() => {
    // CLOCK_MONOTONIC, as the driver's time.monotonic(): it times its next request from this.
    const done = Number(process.hrtime.bigint()) / 1e9;
    res.setHeader('Content-Type', 'text/plain');
    res.end(`ok node done=${done.toFixed(6)}\n`);
    req.socket.idleSince = Date.now();
  }, secs * 1000));
});
server.on('connection', (socket) => {
  socket.on('close', () => {
    if (socket.idleSince) log(`closed kept-alive connection after ${Date.now() - socket.idleSince} ms idle`);
  });
});

server.keepAliveTimeout = 10000;
server.headersTimeout = 11000;
server.requestTimeout = 30000;
server.timeout = 30000;
server.listen(3000, '127.0.0.1');
