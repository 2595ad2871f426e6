import { request } from "node:http";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { basicAuth, client, http, url } from "./helpers.js";

describe("HTTP compression", () => {
  it("accepts a gzip request body (Content-Encoding: gzip)", async () => {
    const res = await http({}, { method: "POST", body: gzipSync("SELECT 'gz' AS x, 40 + 2 AS y"), headers: { "Content-Encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("gz\t42\n");
  });

  it("accepts gzip-compressed INSERT data", async () => {
    await http({ query: "CREATE TABLE IF NOT EXISTS default.chl_gz_ins (n UInt32) ENGINE = MergeTree ORDER BY n" }, { method: "POST" });
    await http({ query: "TRUNCATE TABLE default.chl_gz_ins" }, { method: "POST" });
    const body = gzipSync(Array.from({ length: 1000 }, (_, i) => `{"n":${i}}`).join("\n"));
    const res = await http(
      { query: "INSERT INTO default.chl_gz_ins FORMAT JSONEachRow" },
      { method: "POST", body, headers: { "Content-Encoding": "gzip" } },
    );
    expect(res.status).toBe(200);
    const count = await http({ query: "SELECT count(), sum(n) FROM default.chl_gz_ins" });
    expect(await count.text()).toBe("1000\t499500\n");
  });

  it("gzips the response when enable_http_compression=1 and the client accepts gzip", async () => {
    const res = await http(
      { query: "SELECT number FROM numbers(1000)", enable_http_compression: "1" },
      { headers: { "Accept-Encoding": "gzip" } },
    );
    expect(res.headers.get("content-encoding")).toBe("gzip");
    // fetch decodes gzip transparently
    const text = await res.text();
    expect(text.split("\n").length).toBe(1001);
  });

  it("the gzip response is real gzip", async () => {
    const u = new URL(url());
    u.searchParams.set("query", "SELECT 'compressed' FROM numbers(3)");
    u.searchParams.set("enable_http_compression", "1");
    const raw = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
      const req = request(u, { headers: { "Accept-Encoding": "gzip", authorization: basicAuth() } }, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => resolve({ enc: res.headers["content-encoding"], body: Buffer.concat(parts) }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(raw.enc).toBe("gzip");
    expect(gunzipSync(raw.body).toString()).toBe("compressed\ncompressed\ncompressed\n");
  });

  it("does not compress without enable_http_compression", async () => {
    const res = await http({ query: "SELECT 1" }, { headers: { "Accept-Encoding": "gzip" } });
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(await res.text()).toBe("1\n");
  });

  it("client-web with response compression works", async () => {
    const ch = client({ compression: { response: true } });
    const rs = await ch.query({ query: "SELECT number AS n FROM numbers(3)", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    await ch.close();
  });

  it("a corrupt gzip body is refused with CANNOT_DECOMPRESS", async () => {
    const res = await http({}, { method: "POST", body: Buffer.from("definitely not gzip"), headers: { "Content-Encoding": "gzip" } });
    expect(res.headers.get("x-clickhouse-exception-code")).toBe("271");
    expect(await res.text()).toMatch(/\(CANNOT_DECOMPRESS\)/);
  });

  it("an unknown Content-Encoding is refused", async () => {
    const res = await http({}, { method: "POST", body: "SELECT 1", headers: { "Content-Encoding": "snappy-ish" } });
    expect(res.headers.get("x-clickhouse-exception-code")).toBe("89");
  });
});
