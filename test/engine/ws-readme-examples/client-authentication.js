// ws README, "Client authentication". Verbatim except: the import ('ws' -> our adapter), port 8080 -> 0, the
// last line, and `authenticate`, which the README leaves undefined on purpose: here a request is from user
// "alice" when it carries `Authorization: Bearer alice-token`.
import { createServer } from 'http';
import { WebSocketServer } from '../../../src/engine/ws-compat.ts';

function authenticate(request, next) {
  setImmediate(() => {
    if (request.headers.authorization === 'Bearer alice-token') next(null, 'alice');
    else next(new Error('Unauthorized'));
  });
}

function onSocketError(err) {
  console.error(err);
}

const server = createServer();
const wss = new WebSocketServer({ noServer: true });

wss.on('connection', function connection(ws, request, client) {
  ws.on('error', console.error);

  ws.on('message', function message(data) {
    console.log(`Received message ${data} from user ${client}`);
  });
});

server.on('upgrade', function upgrade(request, socket, head) {
  socket.on('error', onSocketError);

  // This function is not defined on purpose. Implement it with your own logic.
  authenticate(request, function next(err, client) {
    if (err || !client) {
      socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n');
      socket.destroy();
      return;
    }

    socket.removeListener('error', onSocketError);

    wss.handleUpgrade(request, socket, head, function done(ws) {
      wss.emit('connection', ws, request, client);
    });
  });
});

server.listen(0);

export { server, wss };
