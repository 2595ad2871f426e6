/**
 * Running Tinybird's own CLI, `tb` (test/setup/tinybird-cli.ts), against
 * `npm run dev` as a user would, with nothing leaving the machine: every tb
 * goes through a local HTTP(S) proxy that records whatever tries to leave
 * (Tern itself is NO_PROXY), so a test can check the list is empty.
 */
import { createServer, type Server } from "node:net";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface RecordingProxy {
  url: string;
  /** The first line of each connection that tried to leave (`CONNECT pypi.org:443 HTTP/1.0`). */
  outbound: string[];
  close(): Promise<void>;
}

export async function startRecordingProxy(): Promise<RecordingProxy> {
  const outbound: string[] = [];
  const server: Server = createServer((socket) => {
    socket.once("data", (d) => outbound.push(d.toString("latin1").split("\r\n")[0]!));
    socket.once("data", () => socket.destroy());
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, outbound, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The environment that sends tb's outside calls to the proxy and lets it reach Tern directly. */
export function proxiedEnv(proxy: RecordingProxy): Record<string, string> {
  const u = proxy.url;
  return { HTTP_PROXY: u, HTTPS_PROXY: u, http_proxy: u, https_proxy: u, NO_PROXY: "localhost,127.0.0.1", no_proxy: "localhost,127.0.0.1" };
}

/**
 * A stand-in for the desktop clipboard tb copies to (pyperclip runs `xclip`
 * when DISPLAY is set): a script on PATH that keeps what it is given in a file.
 * Answers the PATH/DISPLAY to run tb with and a reader of the clipboard.
 */
export async function fakeClipboard(dir: string): Promise<{ env: Record<string, string>; read(): Promise<string> }> {
  const bin = join(dir, "bin");
  const file = join(dir, "clipboard");
  await mkdir(bin, { recursive: true });
  await writeFile(file, "");
  const script = join(bin, "xclip");
  await writeFile(script, `#!/bin/sh\ncase " $* " in *" -o "*) cat '${file}' ;; *) cat > '${file}' ;; esac\n`);
  await chmod(script, 0o755);
  return { env: { PATH: `${bin}:${process.env.PATH ?? ""}`, DISPLAY: ":0" }, read: () => readFile(file, "utf8") };
}

/** Tinybird Local's three tokens, from the platform's `/tokens`. */
export async function localTokens(baseUrl: string): Promise<{ user_token: string; admin_token: string; workspace_admin_token: string }> {
  const res = await fetch(`${baseUrl}/tokens`);
  if (res.status !== 200) throw new Error(`/tokens: ${res.status} ${await res.text()}`);
  return (await res.json()) as { user_token: string; admin_token: string; workspace_admin_token: string };
}
