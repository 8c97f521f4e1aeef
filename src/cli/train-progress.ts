/**
 * The training progress bar on stderr (cli-progress), drawn from the trainer's progress events:
 * `tsnas train` and `tsnas dtb build` pass `trainProgressBar()` as `onProgress`. One bar per
 * training run (dtb build: one per architecture, labelled `[i/n]`).
 */
import cliProgress from 'cli-progress';
import type { TrainProgress } from '../train/trainer.js';

export function trainProgressBar(stream: NodeJS.WriteStream = process.stderr): (p: TrainProgress) => void {
  let bar: cliProgress.SingleBar | undefined;
  return (p) => {
    switch (p.kind) {
      case 'start': {
        bar?.stop();
        const tty = Boolean(stream.isTTY);
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${p.label ? `${p.label} ` : ''}epoch {ep}/${p.epochs} [{bar}] {percentage}% | loss {loss} acc {acc}% | {evalinfo} | ETA {eta_formatted}`,
            noTTYOutput: !tty,
            notTTYSchedule: 20000,
            etaBuffer: 50,
            hideCursor: tty,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total, p.done, { ep: p.epoch, loss: '-', acc: '-', evalinfo: '-' });
        break;
      }
      case 'step':
        bar?.increment(1, { ep: p.epoch, loss: p.loss.toFixed(3), acc: p.acc.toFixed(1) });
        break;
      case 'epoch': {
        const info = Object.entries(p.evalAcc).map(([name, acc]) => `${name} ${acc.toFixed(1)}%`);
        bar?.update({ evalinfo: info.join(' ') || '-' });
        break;
      }
      case 'end':
        bar?.stop();
        bar = undefined;
        break;
    }
  };
}
