// Serves the example host page (host.html, host.js, host.css) on its own origin, as a web app
// embedding Sluice would be: `node examples/host-server.mjs [--port 8081] [--sluice http://127.0.0.1:8080]`.
// The page loads the loader from the Sluice server given. Prints the page's URL. The browser
// tests start it in-process with `startHost`.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const FILES = { '/': ['host.html', 'text/html; charset=utf-8'], '/host.js': ['host.js', 'text/javascript'], '/host.css': ['host.css', 'text/css'] };

/**
 * Starts the host page server; `sluice()` gives the Sluice server's URL when a page is asked for;
 * `pages` adds pages by path (`{ '/react.html': ['<!doctype html>…', 'text/html'] }`), for tests.
 */
export function startHost({ port = 0, host = '127.0.0.1', sluice, pages = {} }) {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const extra = pages[path];
    const entry = extra ?? FILES[path === '/host.html' ? '/' : path];
    if (!entry) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const source = extra ? extra[0] : await readFile(join(here, entry[0]), 'utf8');
    const text = source.replaceAll('{{SLUICE_URL}}', sluice());
    response.writeHead(200, { 'content-type': entry[1], 'cache-control': 'no-store' }).end(text);
  });
  return new Promise((resolve) => {
    server.listen(port, host, () =>
      resolve({
        port: server.address().port,
        close: () =>
          new Promise((done) => {
            server.close(done);
            server.closeAllConnections();
          }),
      }),
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8081' },
      sluice: { type: 'string', default: 'http://127.0.0.1:8080' },
      host: { type: 'string', default: '127.0.0.1' },
    },
  });
  const { port } = await startHost({ port: Number(values.port), host: values.host, sluice: () => values.sluice });
  console.log(`example host page on http://${values.host}:${port}/`);
}
