/** Run the CLI in-process, capturing what it writes (through the CLI's io hooks, not process.stdout). */
import { main } from '../../src/cli/main.js';
import { io } from '../../src/cli/common.js';

export async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const saved = { ...io };
  const ew = process.stderr.write.bind(process.stderr);
  io.out = (s) => void (stdout += s);
  io.err = (s) => void (stderr += s);
  // Progress bars write to process.stderr directly; keep them out of the test log.
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    Object.assign(io, saved);
    process.stderr.write = ew;
  }
}

/** The last stdout line parsed as JSON (the --json contract). */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!);
}
