import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnLocalClickHouse } from "../../../clickhouse-local/spawn.js";
import { privateServer } from "./helpers.js";

// The admin is the server's --user ("u"/"p"); everything below is created through SQL.
let srv: Awaited<ReturnType<typeof privateServer>>;
const VERSION = / \(version [\d.]+ \(official build\)\)\n$/;

beforeAll(async () => {
  srv = await privateServer();
});
afterAll(async () => {
  await srv.cleanup();
});

async function as(user: string, password: string, query: string, search: Record<string, string> = {}): Promise<{ status: number; code: string | null; text: string }> {
  const u = new URL(srv.server.url);
  u.searchParams.set("query", query);
  for (const [k, v] of Object.entries(search)) u.searchParams.set(k, v);
  const res = await fetch(u, { method: "POST", headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` } });
  return { status: res.status, code: res.headers.get("x-clickhouse-exception-code"), text: (await res.text()).replace(VERSION, "") };
}
const admin = (query: string, search: Record<string, string> = {}) => as("u", "p", query, search);
const ok = { status: 200, code: null, text: "" };

async function accessFile(): Promise<{ users: Array<{ name: string; auth: Record<string, string>; grants: unknown[]; profile?: string; defaultDatabase?: string }>; profiles: Array<{ name: string; settings: unknown[] }>; quotas: Array<{ name: string; intervals: unknown[]; to: string[] }> }> {
  return JSON.parse(await readFile(join(srv.dataDir, "clickhouse-local-access.json"), "utf8"));
}

describe("settings profiles", () => {
  it("CREATE SETTINGS PROFILE stores values and constraints as the engine printed them", async () => {
    expect(await admin("CREATE SETTINGS PROFILE sp1 SETTINGS readonly = 2, max_execution_time = 5 MIN 1 MAX 10, max_threads = 2 READONLY, max_result_rows = 100 CHANGEABLE_IN_READONLY")).toEqual(ok);
    const f = await accessFile();
    expect(f.profiles.find((p) => p.name === "sp1")).toEqual({
      name: "sp1",
      settings: [
        { name: "readonly", value: "2" },
        { name: "max_execution_time", value: "5", min: "1", max: "10" },
        { name: "max_threads", value: "2", writability: "CONST" },
        { name: "max_result_rows", value: "100", writability: "CHANGEABLE_IN_READONLY" },
      ],
    });
  });

  it("creating it again: 493 ACCESS_ENTITY_ALREADY_EXISTS; IF NOT EXISTS keeps it; OR REPLACE replaces it", async () => {
    expect(await admin("CREATE SETTINGS PROFILE sp2 SETTINGS max_threads = 1")).toEqual(ok);
    expect(await admin("CREATE SETTINGS PROFILE sp2 SETTINGS max_threads = 3")).toEqual({
      status: 500,
      code: "493",
      text: "Code: 493. DB::Exception: settings profile `sp2`: cannot insert because settings profile `sp2` already exists in `local_directory`. (ACCESS_ENTITY_ALREADY_EXISTS)",
    });
    expect(await admin("CREATE SETTINGS PROFILE IF NOT EXISTS sp2 SETTINGS max_threads = 3")).toEqual(ok);
    expect((await accessFile()).profiles.find((p) => p.name === "sp2")?.settings).toEqual([{ name: "max_threads", value: "1" }]);
    expect(await admin("CREATE SETTINGS PROFILE OR REPLACE sp2 SETTINGS max_threads = 3")).toEqual(ok);
    expect((await accessFile()).profiles.find((p) => p.name === "sp2")?.settings).toEqual([{ name: "max_threads", value: "3" }]);
  });

  it("an unknown setting is refused by the engine and nothing is stored", async () => {
    const r = await admin("CREATE SETTINGS PROFILE sp_bad SETTINGS no_such_setting_x = 1");
    expect([r.status, r.code]).toEqual([404, "115"]);
    expect((await accessFile()).profiles.map((p) => p.name)).not.toContain("sp_bad");
  });

  it("DROP SETTINGS PROFILE, IF EXISTS, and 180 THERE_IS_NO_PROFILE", async () => {
    expect(await admin("CREATE SETTINGS PROFILE sp3 SETTINGS max_threads = 1")).toEqual(ok);
    expect(await admin("DROP SETTINGS PROFILE sp3")).toEqual(ok);
    expect(await admin("DROP SETTINGS PROFILE IF EXISTS sp3")).toEqual(ok);
    expect(await admin("DROP SETTINGS PROFILE sp3")).toEqual({
      status: 500,
      code: "180",
      text: "Code: 180. DB::Exception: There is no settings profile `sp3` in `user directories`. (THERE_IS_NO_PROFILE)",
    });
  });
});

describe("users", () => {
  it("CREATE USER … IDENTIFIED WITH sha256_password BY: the user can log in, the file holds a salted hash", async () => {
    expect(await admin("CREATE USER alice IDENTIFIED WITH sha256_password BY 'alice-secret' DEFAULT DATABASE default SETTINGS PROFILE 'sp1'")).toEqual(ok);
    expect(await as("alice", "alice-secret", "SELECT currentUser() = currentUser()")).toMatchObject({ status: 200, text: "1\n" });
    const alice = (await accessFile()).users.find((u) => u.name === "alice")!;
    expect(alice).toMatchObject({ name: "alice", defaultDatabase: "default", profile: "sp1", grants: [] });
    expect(alice.auth.type).toBe("sha256_password");
    expect(alice.auth.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await readFile(join(srv.dataDir, "clickhouse-local-access.json"), "utf8")).not.toContain("alice-secret");
  });

  it("CREATE USER … IDENTIFIED BY, a wrong password: 516 like an unknown user", async () => {
    expect(await admin("CREATE USER bob IDENTIFIED BY 'bob-secret'")).toEqual(ok);
    expect(await as("bob", "nope", "SELECT 1")).toEqual({
      status: 403,
      code: "516",
      text: "Code: 516. DB::Exception: bob: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)",
    });
  });

  it("an existing user: 493; IF NOT EXISTS leaves it; OR REPLACE replaces it (grants included)", async () => {
    expect(await admin("CREATE USER carol IDENTIFIED BY 'c1'")).toEqual(ok);
    expect(await admin("GRANT SELECT ON default.* TO carol")).toEqual(ok);
    expect(await admin("CREATE USER carol IDENTIFIED BY 'c2'")).toMatchObject({ status: 500, code: "493" });
    expect(await admin("CREATE USER IF NOT EXISTS carol IDENTIFIED BY 'c2'")).toEqual(ok);
    expect((await as("carol", "c1", "SELECT 1")).status).toBe(200);
    expect(await admin("CREATE USER OR REPLACE carol IDENTIFIED BY 'c2'")).toEqual(ok);
    expect((await as("carol", "c2", "SELECT 1")).status).toBe(200);
    expect((await accessFile()).users.find((u) => u.name === "carol")?.grants).toEqual([]);
  });

  it("the admin's own name cannot be taken", async () => {
    expect(await admin("CREATE USER u IDENTIFIED BY 'x'")).toMatchObject({ status: 500, code: "493" });
  });

  it("a user without a password is refused with 501 NOT_IMPLEMENTED", async () => {
    expect(await admin("CREATE USER nopass")).toMatchObject({ status: 501, code: "48" });
    expect(await admin("CREATE USER nopass2 NOT IDENTIFIED")).toMatchObject({ status: 501, code: "48" });
  });

  it("a profile that does not exist: 180, no user created", async () => {
    expect(await admin("CREATE USER dave IDENTIFIED BY 'd' SETTINGS PROFILE 'no_such_profile'")).toMatchObject({ status: 500, code: "180" });
    expect((await accessFile()).users.map((u) => u.name)).not.toContain("dave");
  });

  it("ALTER USER … IDENTIFIED changes the password", async () => {
    expect(await admin("CREATE USER erin IDENTIFIED BY 'old'")).toEqual(ok);
    expect(await admin("ALTER USER erin IDENTIFIED WITH sha256_password BY 'new'")).toEqual(ok);
    expect((await as("erin", "old", "SELECT 1")).code).toBe("516");
    expect((await as("erin", "new", "SELECT 1")).status).toBe(200);
  });

  it("ALTER USER … DEFAULT DATABASE and SETTINGS PROFILE", async () => {
    expect(await admin("ALTER USER erin DEFAULT DATABASE system SETTINGS PROFILE 'sp2'")).toEqual(ok);
    expect((await accessFile()).users.find((u) => u.name === "erin")).toMatchObject({ defaultDatabase: "system", profile: "sp2" });
  });

  it("ALTER USER of a missing user: 192 UNKNOWN_USER (403); IF EXISTS is fine", async () => {
    expect(await admin("ALTER USER ghost IDENTIFIED BY 'x'")).toEqual({
      status: 403,
      code: "192",
      text: "Code: 192. DB::Exception: There is no user `ghost` in `user directories`. (UNKNOWN_USER)",
    });
    expect(await admin("ALTER USER IF EXISTS ghost IDENTIFIED BY 'x'")).toEqual(ok);
  });

  it("DROP USER: the user can no longer log in; IF EXISTS; 192 for a missing one", async () => {
    expect(await admin("CREATE USER frank IDENTIFIED BY 'f'")).toEqual(ok);
    expect(await admin("DROP USER frank")).toEqual(ok);
    expect((await as("frank", "f", "SELECT 1")).code).toBe("516");
    expect(await admin("DROP USER IF EXISTS frank")).toEqual(ok);
    expect(await admin("DROP USER frank")).toMatchObject({ status: 403, code: "192" });
  });

  it("passwords never appear in error messages", async () => {
    const r = await admin("CREATE USER gina IDENTIFIED WITH sha256_hash BY 'deadbeefcafe'");
    expect([r.status, r.code]).toEqual([501, "48"]);
    expect(r.text).not.toContain("deadbeefcafe");
    expect(r.text).toContain("BY '[HIDDEN]'");
  });
});

describe("grants", () => {
  it("GRANT SELECT ON db.* and ON db.table, shown by SHOW GRANTS FOR", async () => {
    expect(await admin("CREATE USER hank IDENTIFIED BY 'h'")).toEqual(ok);
    expect(await admin("GRANT SELECT ON db1.* TO hank")).toEqual(ok);
    expect(await admin("GRANT SELECT ON db2.t2 TO hank")).toEqual(ok);
    expect(await admin("SHOW GRANTS FOR hank", { default_format: "JSONEachRow" })).toEqual({
      ...ok,
      text: '{"GRANTS FOR hank":"GRANT SELECT ON db1.* TO hank"}\n{"GRANTS FOR hank":"GRANT SELECT ON db2.t2 TO hank"}\n',
    });
  });

  it("GRANT SELECT ON a table of the current database", async () => {
    expect(await admin("GRANT SELECT ON t3 TO hank", { database: "db3" })).toEqual(ok);
    expect((await accessFile()).users.find((u) => u.name === "hank")?.grants).toContainEqual({ database: "db3", table: "t3" });
  });

  it("REVOKE removes the grant", async () => {
    expect(await admin("REVOKE SELECT ON db2.t2 FROM hank")).toEqual(ok);
    expect(await admin("REVOKE SELECT ON db3.* FROM hank")).toEqual(ok);
    expect((await accessFile()).users.find((u) => u.name === "hank")?.grants).toEqual([{ database: "db1" }]);
  });

  it("a table out of a database-wide grant cannot be revoked (no partial revokes): 501", async () => {
    expect(await admin("REVOKE SELECT ON db1.t FROM hank")).toMatchObject({ status: 501, code: "48" });
  });

  it("GRANT to a missing user: 192", async () => {
    expect(await admin("GRANT SELECT ON db1.* TO nobody_here")).toMatchObject({ status: 403, code: "192" });
  });

  it("grants outside SELECT ON db.* / db.table are NOT_IMPLEMENTED, never ignored", async () => {
    for (const q of ["GRANT INSERT ON db1.* TO hank", "GRANT SELECT ON *.* TO hank", "GRANT SELECT(a) ON db1.t TO hank", "GRANT SELECT ON db1.* TO hank WITH GRANT OPTION", "GRANT SELECT, SHOW TABLES ON db1.* TO hank", "GRANT some_role TO hank"]) {
      expect(await admin(q), q).toMatchObject({ status: 501, code: "48" });
    }
    expect((await accessFile()).users.find((u) => u.name === "hank")?.grants).toEqual([{ database: "db1" }]);
  });
});

describe("quotas", () => {
  it("CREATE QUOTA … FOR INTERVAL … MAX queries, execution_time TO user", async () => {
    expect(await admin("CREATE USER ivy IDENTIFIED BY 'i'")).toEqual(ok);
    expect(await admin("CREATE QUOTA q1 FOR INTERVAL 1 hour MAX queries = 100, execution_time = 60 TO ivy")).toEqual(ok);
    expect((await accessFile()).quotas.find((q) => q.name === "q1")).toEqual({
      name: "q1",
      intervals: [{ seconds: 3600, label: "1 hour", maxQueries: 100, maxExecutionTime: 60 }],
      to: ["ivy"],
    });
  });

  it("an existing quota: 493; OR REPLACE; DROP QUOTA, IF EXISTS, 199 for a missing one", async () => {
    expect(await admin("CREATE QUOTA q1 FOR INTERVAL 1 minute MAX queries = 1 TO ivy")).toMatchObject({ status: 500, code: "493" });
    expect(await admin("CREATE QUOTA OR REPLACE q1 FOR INTERVAL 1 minute MAX queries = 1 TO ivy")).toEqual(ok);
    expect(await admin("DROP QUOTA q1")).toEqual(ok);
    expect(await admin("DROP QUOTA IF EXISTS q1")).toEqual(ok);
    expect(await admin("DROP QUOTA q1")).toEqual({ status: 500, code: "199", text: "Code: 199. DB::Exception: There is no quota `q1` in `user directories`. (UNKNOWN_QUOTA)" });
  });

  it("other quota forms are NOT_IMPLEMENTED", async () => {
    for (const q of [
      "CREATE QUOTA q2 FOR INTERVAL 1 hour MAX read_rows = 10 TO ivy",
      "CREATE QUOTA q2 KEYED BY user_name FOR INTERVAL 1 hour MAX queries = 1 TO ivy",
      "CREATE QUOTA q2 FOR RANDOMIZED INTERVAL 1 hour MAX queries = 1 TO ivy",
      "CREATE QUOTA q2 FOR INTERVAL 1 hour NO LIMITS TO ivy",
      "CREATE QUOTA q2 FOR INTERVAL 1 hour MAX queries = 1 TO ALL",
    ]) {
      expect(await admin(q), q).toMatchObject({ status: 501, code: "48" });
    }
  });
});

describe("who may manage access", () => {
  it("SHOW USERS lists the admin and every created user", async () => {
    const r = await admin("SHOW USERS FORMAT JSONEachRow");
    expect(r.status).toBe(200);
    expect(r.text.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { name: string }).name)).toEqual(["alice", "bob", "carol", "erin", "hank", "ivy", "u"]);
  });

  it("a created user gets 497 ACCESS_DENIED (403) for every access statement and KILL QUERY", async () => {
    for (const [q, grant] of [
      ["CREATE USER x IDENTIFIED BY 'y'", "CREATE USER ON *.*"],
      ["DROP USER bob", "DROP USER ON *.*"],
      ["CREATE SETTINGS PROFILE p SETTINGS readonly = 0", "CREATE SETTINGS PROFILE ON *.*"],
      ["GRANT SELECT ON system.* TO bob", "ACCESS MANAGEMENT ON *.*"],
      ["KILL QUERY WHERE query_id = 'x'", "KILL QUERY ON *.*"],
    ]) {
      expect(await as("bob", "bob-secret", q!), q).toEqual({
        status: 403,
        code: "497",
        text: `Code: 497. DB::Exception: bob: Not enough privileges. To execute this query, it's necessary to have the grant ${grant}. (ACCESS_DENIED)`,
      });
    }
  });

  it("access statements never reach chDB: CREATE ROLE is NOT_IMPLEMENTED, not the engine's error", async () => {
    expect(await admin("CREATE ROLE r1")).toMatchObject({ status: 501, code: "48" });
    expect(await admin("SET ROLE r1")).toMatchObject({ status: 501, code: "48" });
  });
});

describe("persistence", () => {
  it("users, profiles, grants and quotas survive a restart", async () => {
    expect(await admin("CREATE QUOTA q9 FOR INTERVAL 1 day MAX queries = 5 TO hank")).toEqual(ok);
    const before = await accessFile();
    await srv.server.stop();
    srv.server = await spawnLocalClickHouse({ port: 0, user: "u", password: "p", dataDir: srv.dataDir });
    expect(await accessFile()).toEqual(before);
    expect((await as("alice", "alice-secret", "SELECT 1")).status).toBe(200);
    expect((await admin("SHOW GRANTS FOR hank")).text).toBe("GRANT SELECT ON db1.* TO hank\n");
  });
});
