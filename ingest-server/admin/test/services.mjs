// The real servers the dashboard's importer test delivers to, started on 127.0.0.1 on a free port
// and stopped by `close()`, as ingest-server/tests/support/services.rs starts them for the Rust
// tests: PostgreSQL from Debian's package (its own cluster in a temporary folder, run as the
// postgres user when the tests run as root) and an S3-compatible server (moto, from $TEST_VENV).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir, homedir, userInfo } from 'node:os';
import { join } from 'node:path';

const isRoot = userInfo().uid === 0;

/** A free port on 127.0.0.1 (free when asked: the server takes it right after). */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits until something accepts connections on `port`. */
async function waitForPort(port, what) {
  for (let tries = 0; tries < 1200; tries += 1) {
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket.end() && true));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not start on port ${port}`);
}

/** Runs `program` (as the postgres user under root); throws with its output when it fails. */
function asPostgres(program, args) {
  const [command, full] = isRoot ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
  const out = spawnSync(command, full, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`${program} failed: ${out.stdout}${out.stderr}`);
  return out.stdout;
}

/** Debian's PostgreSQL programs (`/usr/lib/postgresql/N/bin`, the newest N). */
async function postgresBin() {
  const versions = (await readdir('/usr/lib/postgresql')).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(a) - Number(b));
  if (!versions.length) throw new Error('PostgreSQL is not installed: run `make setup-test`');
  return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
}

/** A PostgreSQL cluster of its own with a superuser `sluice`: `{ port, password, psql(sql), close() }`. */
export async function startPostgres() {
  const bin = await postgresBin();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-pg-'));
  const password = `pw${randomBytes(12).toString('hex')}`;
  await writeFile(join(dir, 'pw'), password);
  if (isRoot) {
    const { uid, gid } = postgresIds();
    await chown(dir, uid, gid);
    await chown(join(dir, 'pw'), uid, gid);
  }
  await chmod(dir, 0o700);
  const data = join(dir, 'data');
  asPostgres(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'sluice',
    '--auth=scram-sha-256',
    `--pwfile=${join(dir, 'pw')}`,
    '-E',
    'UTF8',
    '--locale=C',
    '--no-instructions',
  ]);
  const port = await freePort();
  const options = `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off -c max_connections=30`;
  asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start']);
  const url = `postgres://sluice:${password}@127.0.0.1:${port}/postgres`;
  return {
    port,
    password,
    /** Runs SQL as the superuser; its output, unaligned, tuples only. */
    psql(sql) {
      const out = spawnSync(join(bin, 'psql'), ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], { encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`psql failed: ${out.stderr}`);
      return out.stdout.trim();
    },
    async close() {
      try {
        asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

function postgresIds() {
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

/** moto's S3 server: `{ endpoint, createBucket(name), keys(bucket, prefix), object(bucket, key), close() }`. */
export async function startS3() {
  const venv = process.env.TEST_VENV ?? join(homedir(), '.cache/sluice/venv');
  const port = await freePort();
  const child = spawn(join(venv, 'bin/moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await waitForPort(port, 'the S3 server (moto)');
  const endpoint = `http://127.0.0.1:${port}`;
  // moto takes any credentials: an unsigned request is enough for the test's own calls.
  const call = async (method, path) => {
    const response = await fetch(`${endpoint}${path}`, { method });
    const body = await response.text();
    if (!response.ok) throw new Error(`S3 ${method} ${path}: HTTP ${response.status} ${body}`);
    return body;
  };
  return {
    endpoint,
    createBucket: (name) => call('PUT', `/${name}`),
    /** The keys in `bucket` under `prefix`. */
    async keys(bucket, prefix) {
      const xml = await call('GET', `/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`);
      return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
    },
    object: (bucket, key) => call('GET', `/${bucket}/${key}`),
    async close() {
      child.kill('SIGKILL');
    },
  };
}
