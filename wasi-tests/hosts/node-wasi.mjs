// Runs a WASI preview 1 command under Node's built-in `node:wasi`, with the command line of
// `wasmtime run`'s that the tests use:
//   node --no-warnings node-wasi.mjs [--dir HOST::GUEST]... [--env NAME=VALUE]... MODULE.wasm [ARGS]...
// The guest's exit code becomes Node's; stdin, stdout and stderr are Node's own.
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import v8 from 'node:v8';
import { WASI } from 'node:wasi';

// Node 20's V8 can crash in a full collection that a wasm memory.grow triggers while incremental
// marking is under way ("Fatal error … unreachable code" in MarkCompactCollector::ProcessEphemerons,
// or a segfault there). The pre-initialised python.wasm, which starts with a 29 MB memory image and
// grows from it, met it in 6 of 12 runs of the import-everything case, 4 at a time on 2 cores;
// without incremental marking, in none of 12.
v8.setFlagsFromString('--no-incremental-marking');

const preopens = {};
const env = {};
const argv = process.argv.slice(2);
while (argv.length > 0 && argv[0].startsWith('--')) {
  const option = argv.shift();
  const value = argv.shift();
  if (value === undefined) {
    console.error(`node-wasi: ${option} needs a value`);
    process.exit(2);
  }
  if (option === '--dir') {
    const [host, guest] = value.includes('::') ? value.split('::') : [value, value];
    preopens[guest] = host;
  } else if (option === '--env') {
    const at = value.indexOf('=');
    if (at < 0) {
      console.error(`node-wasi: --env ${value}: expected NAME=VALUE`);
      process.exit(2);
    }
    env[value.slice(0, at)] = value.slice(at + 1);
  } else {
    console.error(`node-wasi: unknown option ${option}`);
    process.exit(2);
  }
}
const [modulePath, ...args] = argv;
if (modulePath === undefined) {
  console.error('usage: node-wasi.mjs [--dir HOST::GUEST]... [--env NAME=VALUE]... MODULE.wasm [ARGS]...');
  process.exit(2);
}

// argv[0] is the module's file name, as `wasmtime run` gives it.
const name = modulePath.split('/').pop();
// Node leaves pipes non-blocking; a guest writing a large output to one would get EAGAIN, which
// no WASI program expects from stdout. Make the standard streams block, as on other hosts.
for (const stream of [process.stdout, process.stderr]) {
  stream._handle?.setBlocking?.(true);
}
const wasi = new WASI({ version: 'preview1', args: [name, ...args], env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(modulePath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
