// Generates src/api/schema.ts (the types) and src/api/limits.ts (the constraints the server's
// models declare: patterns, lengths, ranges — for the forms' checks) from topichub's OpenAPI
// document, or checks that both are current.
//   node scripts/api.mjs [<openapi.json>]           write src/api/schema.ts and limits.ts
//   node scripts/api.mjs [<openapi.json>] --check   exit 1 when either is stale
// Without a file the document is asked of the repository's own server code
// (`../.venv/bin/topichub openapi`; `make install` creates it): `npm run gen:api` and
// `npm run check:api` do that, `make console-api` and `make console-check` pass a file.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const HEADER =
  "// Generated from topichub's /openapi.json by `make console-api`. Do not edit by hand.\n\n";
const target = fileURLToPath(new URL("../src/api/schema.ts", import.meta.url));
const limitsTarget = fileURLToPath(new URL("../src/api/limits.ts", import.meta.url));

const args = process.argv.slice(2);
const flag = args.find((a) => a.startsWith("--"));
const specPath = args.find((a) => !a.startsWith("--"));
if (args.length > 2 || (flag !== undefined && flag !== "--check")) {
  console.error("usage: node scripts/api.mjs [<openapi.json>] [--check]");
  process.exit(2);
}

function serverDocument() {
  const topichub = fileURLToPath(new URL("../../.venv/bin/topichub", import.meta.url));
  if (!existsSync(topichub)) {
    console.error(`${topichub} is missing: run \`make install\` at the repository root first.`);
    process.exit(2);
  }
  return execFileSync(topichub, ["openapi"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

const spec = JSON.parse(specPath ? await readFile(specPath, "utf8") : serverDocument());
const generated = HEADER + astToString(await openapiTS(spec, { alphabetize: true }));

const CONSTRAINTS = [
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
];

/** The constraints of one property: its own, or those of the one non-null branch of an
 * `anyOf` (how Pydantic writes an optional field); for a list also those of its items
 * (`items`), for a mapping those of its keys (`propertyNames`) and values
 * (`additionalProperties`). */
function constraintsOf(property) {
  const branches = Array.isArray(property.anyOf) ? property.anyOf.filter((b) => b.type !== "null") : [property];
  const found = {};
  for (const branch of branches) {
    for (const name of CONSTRAINTS) if (branch[name] !== undefined && found[name] === undefined) found[name] = branch[name];
    for (const nested of ["items", "propertyNames", "additionalProperties"]) {
      if (typeof branch[nested] !== "object" || found[nested] !== undefined) continue;
      const inner = constraintsOf(branch[nested]);
      if (Object.keys(inner).length > 0) found[nested] = inner;
    }
  }
  return found;
}

/** The constraints of the operations' parameters, by "METHOD /path" and parameter name. */
function parameterLimits(document) {
  const out = {};
  for (const path of Object.keys(document.paths ?? {}).sort()) {
    for (const [method, operation] of Object.entries(document.paths[path]).sort()) {
      const fields = {};
      for (const parameter of operation.parameters ?? []) {
        const found = constraintsOf(parameter.schema ?? {});
        if (Object.keys(found).length > 0) fields[parameter.name] = found;
      }
      if (Object.keys(fields).length > 0) out[`${method.toUpperCase()} ${path}`] = fields;
    }
  }
  return out;
}

function limitsModule(document) {
  const out = {};
  const schemas = document.components?.schemas ?? {};
  for (const model of Object.keys(schemas).sort()) {
    const properties = schemas[model].properties ?? {};
    const fields = {};
    for (const field of Object.keys(properties).sort()) {
      const found = constraintsOf(properties[field]);
      if (Object.keys(found).length > 0) fields[field] = found;
    }
    if (Object.keys(fields).length > 0) out[model] = fields;
  }
  return (
    "// Generated from topichub's /openapi.json by `make console-api`. Do not edit by hand.\n" +
    "// The constraints the server's models declare, by model and field, so that the forms\n" +
    "// check what the server checks without copying its numbers.\n\n" +
    `export const LIMITS = ${JSON.stringify(out, null, 2)} as const;\n\n` +
    "// The same for the operations' parameters (query, path, header), by operation.\n" +
    `export const PARAMETER_LIMITS = ${JSON.stringify(parameterLimits(document), null, 2)} as const;\n`
  );
}

const limits = limitsModule(spec);

if (flag === "--check") {
  const current = await readFile(target, "utf8").catch(() => "");
  const currentLimits = await readFile(limitsTarget, "utf8").catch(() => "");
  if (current !== generated || currentLimits !== limits) {
    console.error(
      "console/src/api/schema.ts or limits.ts is stale: the API changed since the client was generated.\n" +
        "Run `make console-api` and commit the result.",
    );
    process.exit(1);
  }
  console.log("console API client is current");
} else {
  await writeFile(target, generated);
  await writeFile(limitsTarget, limits);
  console.log(`wrote ${target} and ${limitsTarget}`);
}
