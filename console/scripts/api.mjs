// Generates src/api/schema.ts from topichub's OpenAPI document, or checks that it is current.
//   node scripts/api.mjs <openapi.json>           write src/api/schema.ts
//   node scripts/api.mjs <openapi.json> --check   exit 1 when src/api/schema.ts is stale
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const HEADER =
  "// Generated from topichub's /openapi.json by `make console-api`. Do not edit by hand.\n\n";
const target = fileURLToPath(new URL("../src/api/schema.ts", import.meta.url));

const [specPath, flag] = process.argv.slice(2);
if (!specPath) {
  console.error("usage: node scripts/api.mjs <openapi.json> [--check]");
  process.exit(2);
}
const spec = JSON.parse(await readFile(specPath, "utf8"));
const generated = HEADER + astToString(await openapiTS(spec, { alphabetize: true }));

if (flag === "--check") {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== generated) {
    console.error(
      "console/src/api/schema.ts is stale: the API changed since the client was generated.\n" +
        "Run `make console-api` and commit the result.",
    );
    process.exit(1);
  }
  console.log("console API client is current");
} else {
  await writeFile(target, generated);
  console.log(`wrote ${target}`);
}
