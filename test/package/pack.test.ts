/**
 * The package as users get it: `npm pack` the repository, install the tarball into a scratch
 * project outside the repository, type-check and run a program that imports `tsnas`, and run the
 * installed CLI. The score the installed package gives must equal the one the sources give.
 *
 * Offline and fast: the install resolves every dependency from the npm cache (--prefer-offline;
 * the repository's `npm ci` filled it) and runs no install scripts (--ignore-scripts). The one
 * dependency with a native build, better-sqlite3, gets the addon the repository's own install
 * compiled (same version, same Node ABI, same machine): compiling it again with node-gyp takes
 * 5-6 minutes on two shared cores (its prebuilt download from GitHub is unreachable here) and
 * tests better-sqlite3, not tsnas. Set TSNAS_PACK_FULL_INSTALL=1 to run the install scripts anyway.
 *
 * Sizes (tarball, installed package, whole scratch node_modules) are printed as a diagnostic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { makeSynthetic } from '../../src/data/index.js';
import { parseArch } from '../../src/spaces/index.js';
import { scoreArch } from '../../src/proxies/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|';
// The scoring setup, shared by the program below and the reference computed from src/.
const DATA = { n: 64, height: 16, seed: 3 };
const BATCH = 32;
const SEED = 7;

const PROGRAM = `import { initBackend, makeSynthetic, parseArch, scoreArch, type ArchScore } from 'tsnas';
import { tf } from 'tsnas/engine';

const info = await initBackend('cpu');
const data = makeSynthetic(${JSON.stringify(DATA)});
const arch = parseArch('nb201', ${JSON.stringify(ARCH)});
const r: ArchScore = scoreArch(arch, ['naswot'], { data, batch: ${BATCH}, seed: ${SEED} });
console.log(JSON.stringify({ backend: info.name, tfBackend: tf.getBackend(), arch: r.arch, naswot: r.scores.naswot }));
`;

const npmOk = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;

function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): SpawnSyncReturns<string> & { seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, npm_config_update_notifier: 'false' } });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    assert.fail(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, seconds };
}

function duBytes(path: string): number {
  const r = spawnSync('du', ['-sk', path], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0]) * 1024;
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

test(
  'npm pack → install into a scratch project → type-check and run a program that imports tsnas; the CLI runs',
  {
    skip: npmOk ? false : 'npm is not available',
    timeout: 900_000,
  },
  async () => {
    const work = mkdtempSync(join(tmpdir(), 'tsnas-pack-'));
    assert.ok(relative(ROOT, work).startsWith('..'), 'the scratch project is outside the repository');
    try {
      // 1. Pack (its `prepare` script rebuilds dist/ from the current sources).
      const pack = run('npm', ['pack', '--pack-destination', work, '--json', '--silent'], ROOT, 600_000);
      const info = (JSON.parse(pack.stdout) as { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[])[0]!;
      const tgz = join(work, info.filename);
      assert.ok(existsSync(tgz));
      const files = info.files.map((f) => f.path);
      assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts') && files.includes('dist/cli/main.js') && files.includes('bin/tsnas.js'));
      assert.ok(!files.some((f) => /^(src|test|bench|examples)\//.test(f) || /\.test\.(js|ts)$/.test(f)), 'no sources, tests or benchmarks in the tarball');

      // 2. A scratch project that installs the tarball.
      const proj = join(work, 'app');
      mkdirSync(proj);
      writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'tsnas-scratch', version: '1.0.0', private: true, type: 'module', allowScripts: { 'better-sqlite3': true } }, null, 2));
      const full = process.env.TSNAS_PACK_FULL_INSTALL === '1';
      const install = run('npm', ['install', tgz, '--prefer-offline', '--no-audit', '--no-fund', ...(full ? [] : ['--ignore-scripts'])], proj, full ? 900_000 : 300_000);
      const pkgDir = join(proj, 'node_modules', 'tsnas');
      assert.ok(existsSync(join(pkgDir, 'dist', 'index.js')));
      assert.ok(!existsSync(join(proj, 'node_modules', 'tsx')), 'tsx is a dev dependency: not installed with the package');
      if (!full) {
        // better-sqlite3's addon from the repository's own install (see the header comment).
        const mine = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string };
        const theirs = JSON.parse(readFileSync(join(proj, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string };
        assert.equal(theirs.version, mine.version, 'the installed better-sqlite3 is the version the repository built');
        const rel = join('build', 'Release', 'better_sqlite3.node');
        mkdirSync(join(proj, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
        copyFileSync(join(ROOT, 'node_modules', 'better-sqlite3', rel), join(proj, 'node_modules', 'better-sqlite3', rel));
      }

      // 3. Type-check and compile the program against the installed package's types (NodeNext), then run it.
      writeFileSync(join(proj, 'main.ts'), PROGRAM);
      writeFileSync(
        join(proj, 'tsconfig.json'),
        JSON.stringify(
          {
            compilerOptions: {
              target: 'ES2022',
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              strict: true,
              outDir: 'out',
              // TF.js's own declaration files do not pass strict checks (tfjs-core's `Long`, tfjs-layers' PyJsonValue).
              skipLibCheck: true,
              // The program's own Node typings come from the repository (the scratch project installs only tsnas).
              typeRoots: [join(ROOT, 'node_modules', '@types')],
              types: ['node'],
            },
            files: ['main.ts'],
          },
          null,
          2,
        ),
      );
      const tsc = run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], proj);
      const prog = run(process.execPath, [join('out', 'main.js')], proj);
      const got = JSON.parse(prog.stdout.trim().split('\n').pop()!) as { backend: string; tfBackend: string; arch: string; naswot: number };
      assert.equal(got.backend, 'cpu');
      assert.equal(got.tfBackend, 'cpu');
      assert.equal(got.arch, ARCH);
      assert.ok(Number.isFinite(got.naswot), `naswot is finite (${got.naswot})`);

      // 4. The installed CLI.
      const bin = join(proj, 'node_modules', '.bin', 'tsnas');
      const version = run(bin, ['--version'], proj);
      const pkgVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
      assert.equal(version.stdout.trim(), pkgVersion);
      const cli = run(bin, ['arch', '--space', 'nb201', '--arch', ARCH, '--json', '--backend', 'cpu'], proj);
      const archOut = JSON.parse(cli.stdout.trim().split('\n').pop()!) as { arch: string; params: number; flops: number };
      assert.equal(archOut.arch, ARCH);
      assert.ok(archOut.params > 0 && archOut.flops > 0);

      const sizes = {
        tarball: statSync(tgz).size,
        unpacked: info.unpackedSize,
        files: info.entryCount,
        installedPackage: duBytes(pkgDir),
        installedNodeModules: duBytes(join(proj, 'node_modules')),
      };
      const seconds = { pack: pack.seconds, install: install.seconds, tsc: tsc.seconds, program: prog.seconds, cli: version.seconds + cli.seconds };
      console.log(
        `# pack test: tarball ${mb(sizes.tarball)} (${sizes.files} files, ${mb(sizes.unpacked)} unpacked), installed tsnas ${mb(sizes.installedPackage)}, scratch node_modules ${mb(sizes.installedNodeModules)}`,
      );
      console.log(
        `# pack test seconds: ${Object.entries(seconds)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(', ')}`,
      );
      console.log(`# pack test JSON ${JSON.stringify({ sizes, seconds, naswot: got.naswot })}`);

      // 5. The same score from the sources (same backend, data, batch and seed).
      await initBackend('cpu');
      const ref = scoreArch(parseArch('nb201', ARCH), ['naswot'], { data: makeSynthetic(DATA), batch: BATCH, seed: SEED }).scores.naswot!;
      assert.ok(Math.abs(got.naswot - ref) <= 1e-9 * Math.abs(ref), `installed package ${got.naswot} vs sources ${ref}`);
    } finally {
      if (!process.env.TSNAS_KEEP_PACK) rmSync(work, { recursive: true, force: true });
    }
  },
);
