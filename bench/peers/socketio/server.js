// Socket.IO 4.8 peer for bench/run. Clients emit "subscribe" with a room (one room per shape) and
// get "subscribed"; POST /publish/<room> with a JSON body emits "change" with that body to the room.
// No query logic, no state: this is what a plain broadcast costs in Socket.IO. WebSocket transport
// only (what the load generator speaks); per-message deflate off (as for the other targets).
const http = require("node:http");
const { Server } = require("socket.io");

const port = Number(process.env.PORT || 18082);
const server = http.createServer((req, res) => {
  if (req.method === "POST" && req.url.startsWith("/publish/")) {
    const room = req.url.slice("/publish/".length);
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let row;
      try {
        row = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch (e) {
        res.writeHead(400).end();
        return;
      }
      io.to(room).emit("change", row);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    return;
  }
  res.writeHead(req.url === "/health" ? 200 : 404).end();
});
const io = new Server(server, { transports: ["websocket"], perMessageDeflate: false, serveClient: false });
io.on("connection", (socket) => {
  socket.on("subscribe", (room) => {
    socket.join(String(room));
    socket.emit("subscribed", String(room));
  });
});
server.listen(port, "0.0.0.0", () => console.log(`peer-socketio listening on ${port}`));
