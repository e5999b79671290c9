// Runs a WASI preview 1 module (a cargo test binary) under Node's built-in
// `node:wasi`: `node --no-warnings wasi-p1-runner.mjs FILE.wasm ARGS...`.
// Node's preview 1 has clocks and `poll_oneoff` but no sockets. The whole
// file system is pre-opened at `/`; the exit code is the module's.
import { readFile } from 'node:fs/promises';
import { argv, env } from 'node:process';
import { WASI } from 'node:wasi';

const [file, ...args] = argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env, preopens: { '/': '/' }, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
