// bench/colyseus/server.mjs — the peer for issue 7's relay comparison: tic-tac-toe series tables on Colyseus 0.18,
// moves checked and relayed with plain broadcasts (no schema state, no patches: the cheapest way Colyseus relays).
// The same game as Umpire's series tables in bench/run: two seats, a move names a cell, the server checks the turn
// and the cell, applies it, broadcasts it to both seats, and starts the next game when one ends. No stakes, no
// journal, no ClearNode: this measures what a popular Node.js room server spends per relayed move on this machine.
//
// Usage: node server.mjs PORT   (prints "listening PORT" once it accepts players)
import { Server, Room } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";

const kLines = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6]];
class TicTacToeRoom extends Room {
  maxClients = 2;

  onCreate() {
    this.patchRate = null;  // no state to synchronise: messages only
    this.board = new Array(9).fill(-1);
    this.firstSeat = 0;
    this.turn = 0;
    this.seats = [];
    this.onMessage("move", (client, message) => this.move(client, message));
  }

  onJoin(client) {
    this.seats.push(client.sessionId);
    if (this.seats.length === 2) this.broadcast("start", { first: this.turn });
  }

  seatOf(client) { return this.seats.indexOf(client.sessionId); }

  move(client, message) {
    const seat = this.seatOf(client);
    const cell = message?.cell;
    if (this.seats.length !== 2 || seat !== this.turn) return client.send("error", { code: "NOT_YOUR_TURN" });
    if (!Number.isInteger(cell) || cell < 0 || cell > 8 || this.board[cell] !== -1) {
      return client.send("error", { code: "ILLEGAL_MOVE" });
    }
    this.board[cell] = seat;
    const won = kLines.some((line) => line.every((c) => this.board[c] === seat));
    const over = won || this.board.every((c) => c !== -1);
    this.broadcast("applied", { seat, cell, over, winner: won ? seat : -1 });
    if (over) {  // the series' next game: the other seat starts
      this.board.fill(-1);
      this.firstSeat = 1 - this.firstSeat;
      this.turn = this.firstSeat;
    } else {
      this.turn = 1 - seat;
    }
  }
}

const port = Number(process.argv[2] ?? 2567);
const server = new Server({ transport: new WebSocketTransport(), greet: false });
server.define("ttt", TicTacToeRoom);
await server.listen(port, "127.0.0.1");
console.log(`listening ${port}`);
