// bench/colyseus/load.mjs — drives bench/colyseus/server.mjs the way `umpire bots --series --think-ms 0` drives
// Umpire in bench/run, and measures it the way bench/relay_floor_client measures the floor: ROOMS tables of two
// players on the official client (@colyseus/sdk), closed loop (each player moves as soon as it is its turn, a random
// free cell); the server's utime+stime (/proc/PID/stat) over a steady window ÷ the moves relayed in it (counted
// where they arrive: every relayed move reaches seat 0), the move RTT (sent → its own broadcast back) over the
// window, and the server's RSS. Run it on the load's CPU, the server on the other.
//
// Usage: node load.mjs --connect PORT --rooms N --server-pid PID [--seconds 10] [--warmup-seconds 3]
//        → one JSON object on stdout (the floor client's field names)
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Client } from "@colyseus/sdk";

const { values: args } = parseArgs({
  options: {
    connect: { type: "string" }, rooms: { type: "string" }, "server-pid": { type: "string" },
    seconds: { type: "string", default: "10" }, "warmup-seconds": { type: "string", default: "3" },
  },
});
const rooms = Number(args.rooms), serverPid = Number(args["server-pid"]);
const windowSeconds = Number(args.seconds), warmupSeconds = Number(args["warmup-seconds"]);
if (!args.connect || !(rooms > 0) || !(serverPid > 0)) {
  console.error("usage: node load.mjs --connect PORT --rooms N --server-pid PID [--seconds S] [--warmup-seconds S]");
  process.exit(2);
}
const installedVersion = (name) =>
  JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url), "utf8")).version;
const ticksPerSecond = 100;  // USER_HZ, the unit of /proc/PID/stat's times on Linux

const serverCpuTicks = () => {
  const fields = readFileSync(`/proc/${serverPid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return Number(fields[11]) + Number(fields[12]);  // utime + stime
};
const serverMemoryKiB = (key) =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${serverPid}/status`, "utf8"))[1]);

let measuring = false;
let movesInWindow = 0;
let errors = 0;
const rtts = [];

// One player: keeps the board from the broadcasts and moves when it is its turn.
function play(room, seat) {
  const board = new Array(9).fill(-1);
  let turn = 0, firstSeat = 0, sentAt = 0;
  const moveIfMine = () => {
    if (turn !== seat) return;
    const free = [];
    for (let cell = 0; cell < 9; cell++) if (board[cell] === -1) free.push(cell);
    sentAt = performance.now();
    room.send("move", { cell: free[Math.floor(Math.random() * free.length)] });
  };
  room.onMessage("start", () => moveIfMine());
  room.onMessage("error", () => { errors += 1; });
  room.onMessage("applied", (m) => {
    if (measuring) {
      if (seat === 0) movesInWindow += 1;
      if (m.seat === seat) rtts.push(performance.now() - sentAt);
    }
    board[m.cell] = m.seat;
    if (m.over) { board.fill(-1); firstSeat = 1 - firstSeat; turn = firstSeat; } else { turn = 1 - m.seat; }
    moveIfMine();
  });
}

const client = new Client(`http://127.0.0.1:${args.connect}`);
const connectStarted = performance.now();
try {
  for (let first = 0; first < rooms; first += 50) {  // 50 tables at a time through the matchmaker's HTTP routes
    const tables = [];
    for (let i = first; i < Math.min(rooms, first + 50); i++) {
      tables.push((async () => {
        const seat0 = await client.create("ttt");
        play(seat0, 0);
        play(await client.joinById(seat0.roomId), 1);
      })());
    }
    await Promise.all(tables);
  }
} catch (error) {
  console.error(`colyseus load: opening tables: ${error?.message ?? error}`);
  process.exit(1);
}
const connectSeconds = (performance.now() - connectStarted) / 1000;

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));
await sleep(warmupSeconds);
measuring = true;
const t0 = performance.now(), cpu0 = serverCpuTicks(), load0 = process.cpuUsage();
await sleep(windowSeconds);
const cpu1 = serverCpuTicks(), t1 = performance.now(), load = process.cpuUsage(load0);
measuring = false;

rtts.sort((a, b) => a - b);
const percentile = (q) => (rtts.length ? Math.round(rtts[Math.min(rtts.length - 1, Math.floor(q * rtts.length))] * 1000) : null);
const seconds = (t1 - t0) / 1000, cpuSeconds = (cpu1 - cpu0) / ticksPerSecond;
console.log(JSON.stringify({
  server: "colyseus", rooms, connect_seconds: connectSeconds, window_seconds: seconds, moves: movesInWindow,
  moves_per_s: movesInWindow / seconds, server_cpu_seconds: cpuSeconds,
  server_cpu_us_per_move: movesInWindow ? (cpuSeconds * 1e6) / movesInWindow : null,
  server_cpu_utilisation: cpuSeconds / seconds, load_cpu_utilisation: (load.user + load.system) / 1e6 / seconds,
  think_ms: 0, move_rtt_us: { p50: percentile(0.5), p90: percentile(0.9), p99: percentile(0.99), max: percentile(1) },
  server_vmrss_kib: serverMemoryKiB("VmRSS"), server_vmhwm_kib: serverMemoryKiB("VmHWM"), errors,
  node: process.version, colyseus_version: installedVersion("@colyseus/core"), sdk_version: installedVersion("@colyseus/sdk"),
}));
process.exit(errors ? 1 : 0);
