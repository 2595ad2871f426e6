// Server-Timing on endpoint and Query API answers (workers/platform/timing.ts): which phases, and that each is a number.
// Values are not asserted (workerd's clock only moves on I/O; timing is for benches, not tests).
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./helpers/api.js";
import { deployProject, type Deployed } from "./endpoints-project.js";

let ws: Deployed;

beforeAll(async () => {
  ws = await deployProject("timing");
});

/** `name;dur=1.23[;desc="…"], …` → { name: 1.23 }; fails on any entry that is not that shape. */
function phases(res: Response): Record<string, number> {
  const header = res.headers.get("server-timing");
  expect(header, "Server-Timing header").toBeTruthy();
  const out: Record<string, number> = {};
  for (const entry of header!.split(",")) {
    const m = /^\s*([a-z]+);dur=(\d+(?:\.\d+)?)(?:;desc="[A-Za-z0-9-]+")?\s*$/.exec(entry);
    expect(m, `entry ${JSON.stringify(entry)}`).not.toBeNull();
    out[m![1]!] = Number(m![2]);
  }
  for (const [name, ms] of Object.entries(out)) expect(Number.isFinite(ms), name).toBe(true);
  return out;
}

describe("Server-Timing", () => {
  it("an endpoint answer names auth, live (the live deployment), ratelimit, compile, guard, ch, body and total", async () => {
    const res = await api("/v0/pipes/top_pages.json", { token: ws.token });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(Object.keys(phases(res))).toEqual(["auth", "live", "ratelimit", "compile", "guard", "ch", "body", "total"]);
  });

  it("a Query API answer names the same phases", async () => {
    const res = await api(`/v0/sql?q=${encodeURIComponent("SELECT count() FROM events")}`, { token: ws.token });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(Object.keys(phases(res))).toEqual(["auth", "live", "ratelimit", "compile", "guard", "ch", "body", "total"]);
  });

  it("the guard phase says where its verdict came from: parsed once, then kept for the read's shape, new parameter values included", async () => {
    const desc = async (path: string) => {
      const res = await api(path, { token: ws.token });
      expect(res.status, await res.text()).toBe(200);
      return /guard;dur=[\d.]+;desc="([a-z]+)"/.exec(res.headers.get("server-timing") ?? "")?.[1];
    };
    // `tenant` takes a branch of the template no call took before: a new shape.
    expect(await desc("/v0/pipes/top_pages.json?tenant=acme&start=2020-01-01%2000:00:00")).toBe("parsed");
    expect(await desc("/v0/pipes/top_pages.json?tenant=acme&start=2020-01-01%2000:00:00")).toBe("shape");
    expect(await desc("/v0/pipes/top_pages.json?tenant=acme&start=2020-01-02%2000:00:00")).toBe("shape");
    expect(await desc("/v0/pipes/top_pages.json?tenant=it%27s%20*%2F%20--&start=2020-01-03%2000:00:00")).toBe("shape");
  });

  it("a Query API read, which has no shape, keeps its verdict for its SQL", async () => {
    const desc = async () => {
      const res = await api(`/v0/sql?q=${encodeURIComponent("SELECT count() + 41 FROM events")}`, { token: ws.token });
      expect(res.status, await res.text()).toBe(200);
      return /guard;dur=[\d.]+;desc="([a-z]+)"/.exec(res.headers.get("server-timing") ?? "")?.[1];
    };
    expect(await desc()).toBe("parsed");
    expect(await desc()).toBe("sql");
  });

  it("a refused call still says where its time went (auth, total)", async () => {
    const res = await api("/v0/pipes/top_pages.json", { token: "p.not-a-token" });
    expect(res.status).toBe(403);
    await res.arrayBuffer();
    expect(Object.keys(phases(res))).toEqual(["auth", "total"]);
  });

  it("browsers may read it (CORS exposes Server-Timing)", async () => {
    const res = await api("/v0/pipes/top_pages.json", { token: ws.token, headers: { origin: "http://app.test" } });
    await res.arrayBuffer();
    expect(res.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("server-timing");
  });
});
