// ClickHouse error texts as a caller sees them: its own names, and no SQL it did not write unless it is ADMIN.
import { describe, expect, it } from "vitest";
import { publicMessage } from "../../../workers/endpoints/public-errors.js";
import type { DeploymentManifest } from "../../../shared/deploy/manifest.js";

const manifest = {
  database: "tern_0a1b2c3d4e5f",
  datasources: { events: { table: "events_3f2a9c", quarantineTable: "events_3f2a9c_quarantine" } },
  pipes: {},
} as unknown as DeploymentManifest;
const reader = { database: "tern_0a1b2c3d4e5f", manifest, admin: false };
const admin = { ...reader, admin: true };

describe("publicMessage", () => {
  it.each([
    [
      "[Error] Unknown expression identifier `nope` in scope SELECT nope FROM tern_0a1b2c3d4e5f.events_3f2a9c AS events",
      admin,
      "[Error] Unknown expression identifier `nope` in scope SELECT nope FROM events AS events",
    ],
    [
      "[Error] Table `tern_0a1b2c3d4e5f`.`events_3f2a9c_quarantine` is read only",
      reader,
      "[Error] Table events_quarantine is read only",
    ],
    ["[Error] Missing columns in tern_0a1b2c3d4e5f.tinybird__pipe_stats_rt", reader, "[Error] Missing columns in tinybird.pipe_stats_rt"],
    ["[Error] Unknown table expression identifier 'tern_sandbox.x'", reader, "[Error] Unknown table expression identifier 'x'"],
    ["[Error] Table tern_99aa88bb77cc.t_1 does not exist", reader, "[Error] Table <database>.t_1 does not exist"],
    [
      "[Error] Division by zero: In scope WITH filtered AS (SELECT secret FROM tern_0a1b2c3d4e5f.events_3f2a9c) SELECT intDiv(1, 0). (ILLEGAL_DIVISION)",
      reader,
      "[Error] Division by zero. (ILLEGAL_DIVISION)",
    ],
    [
      "[Error] Syntax error: failed at position 12 (FROM) (line 2, col 3): FROM filtered WHERE secret = 1. Expected one of: …",
      reader,
      "[Error] Syntax error: failed at position 12 (FROM) (line 2, col 3). Expected one of: …",
    ],
  ])("%s", (message, audience, expected) => {
    expect(publicMessage(message, audience)).toBe(expected);
  });
});
