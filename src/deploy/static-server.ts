/**
 * A localhost HTTP server for the browser side of deployment: TF.js's own dist files from
 * node_modules (no CDN: the browser needs no internet), in-memory files (an exported model being
 * measured) and folders (an example page). Read-only GETs on 127.0.0.1, nothing else.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.css': 'text/css; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

/**
 * The folders holding the browser builds of TF.js (tf.min.js) and its wasm backend
 * (tf-backend-wasm.min.js and the .wasm binaries), from this package's own dependencies.
 */
export function tfjsDistDirs(): { tfjs: string; wasm: string } {
  const req = createRequire(import.meta.url);
  return {
    tfjs: join(dirname(req.resolve('@tensorflow/tfjs/package.json')), 'dist'),
    wasm: join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'),
  };
}

export interface StaticServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly url: string;
  /** Serve `body` at `path` (e.g. `/models/3/model.json`) until removed. */
  put(path: string, body: string | Uint8Array): void;
  remove(path: string): void;
  close(): Promise<void>;
}

/** Start the server: `mounts` maps URL prefixes (`/tfjs/`) to folders; `put` adds in-memory files. */
export async function startStaticServer(mounts: Record<string, string> = {}): Promise<StaticServer> {
  const files = new Map<string, string | Uint8Array>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const type = TYPES[extname(path)] ?? 'application/octet-stream';
      const mem = files.get(path);
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405).end();
      if (mem !== undefined) return void res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(mem);
      for (const [prefix, dir] of Object.entries(mounts)) {
        if (!path.startsWith(prefix)) continue;
        const file = normalize(join(dir, path.slice(prefix.length)));
        if (file !== dir && !file.startsWith(dir.endsWith(sep) ? dir : dir + sep)) break;
        try {
          const body = await readFile(file);
          return void res.writeHead(200, { 'content-type': type }).end(body);
        } catch {
          break;
        }
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    put: (p, body) => void files.set(p, body),
    remove: (p) => void files.delete(p),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
