// Security suite: datafiles whose values or SQL reach past the workspace, deployed with every token kind.
import { describe, expect, it } from "vitest";
import { deploy } from "../helpers/api.js";
import { fill, leaks, securityWorkspaces, tokens } from "./harness.js";

securityWorkspaces("deploy");

const ATTACK_DATAFILES: Array<[string, Record<string, string>]> = [
  ["TTL with a second statement", { "t.datasource": `SCHEMA >\n    \`ts\` DateTime\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "ts"\nENGINE_TTL "ts + INTERVAL 1 DAY; DROP TABLE {other}"\n` }],
  ["sorting key reading another table", { "t.datasource": `SCHEMA >\n    \`ts\` DateTime\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "(SELECT count() FROM {other})"\n` }],
  ["DEFAULT reading a file", { "t.datasource": `SCHEMA >\n    \`ts\` DateTime,\n    \`x\` String DEFAULT file('/etc/passwd')\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "ts"\n` }],
  ["partition key with a dictionary", { "t.datasource": `SCHEMA >\n    \`ts\` DateTime\n\nENGINE "MergeTree"\nENGINE_PARTITION_KEY "dictGet('d', 'a', 1)"\nENGINE_SORTING_KEY "ts"\n` }],
  ["settings smuggling a statement", { "t.datasource": `SCHEMA >\n    \`ts\` DateTime\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "ts"\nENGINE_SETTINGS "index_granularity = 8192; DROP TABLE {other}"\n` }],
  ["materialized view reading another workspace through a Unicode space", {
    "t.datasource": `SCHEMA >\n    \`secret\` String\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "secret"\n`,
    "mv.pipe": `NODE n\nSQL >\n    SELECT secret FROM\u00a0{other}\n\nTYPE MATERIALIZED\nDATASOURCE t\n`,
  }],
  ["materialized view reading system.tables through curly quotes", {
    "t.datasource": `SCHEMA >\n    \`secret\` String\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "secret"\n`,
    "mv.pipe": `NODE n\nSQL >\n    SELECT name AS secret FROM \u201csystem\u201d.\u201ctables\u201d\n\nTYPE MATERIALIZED\nDATASOURCE t\n`,
  }],
  ["endpoint reading a file", { "e.pipe": `NODE n\nSQL >\n    SELECT file('/etc/passwd') AS f\n\nTYPE endpoint\n` }],
  ["endpoint reading another workspace", { "e.pipe": `NODE n\nSQL >\n    SELECT * FROM {other}\n\nTYPE endpoint\n` }],
  ["index expression with a subquery", { "t.datasource": `SCHEMA >\n    \`ts\` DateTime\n\nINDEXES >\n    i (SELECT 1) TYPE minmax GRANULARITY 1\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "ts"\n` }],
];

describe(`deploy attempts (${ATTACK_DATAFILES.length}) with every token`, () => {
  it.each(ATTACK_DATAFILES)("%s", async (_name, files) => {
    const filled = Object.fromEntries(Object.entries(files).map(([n, t]) => [n, fill(t)]));
    const failures: string[] = [];
    for (const kind of tokens) {
      const res = await deploy({ ...filled }, "auto_promote=true", kind.token);
      const text = JSON.stringify(res.body);
      if (res.status < 400 || res.status >= 500) failures.push(`${kind.name}: deploy answered ${res.status} ${text.slice(0, 200)}`);
      const leaked = leaks(text, kind, JSON.stringify(filled));
      if (leaked.length) failures.push(`${kind.name}: leaked ${leaked.join(", ")}`);
    }
    expect(failures).toEqual([]);
  });
});
