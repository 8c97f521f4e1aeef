/**
 * Frees a forward pass's intermediates at the network's cuts (ForwardHooks.cut's tensors), for
 * passes that record no gradient and keep only what hooks copy out (NASWOT/DAS read each ReLU's
 * codes, then nothing more of it). Under one tf.tidy a 20-cell DARTS network at batch 128 keeps
 * every activation alive to the end: 12 GB. With a scope per stretch between cuts, only the cut
 * tensors and one stretch's intermediates are alive at once. At every cut the backend's buffer pool
 * also drops the sizes the last stretch did not ask for: a network's stages differ in size, and a
 * finished stage's buffers would otherwise stay pooled through the rest of the pass (a pool under
 * the backend's trim floor is kept whole: the next pass, often a network of the same sizes, reuses it).
 */
import { trimBufferPool } from '../engine/buffer-pool.js';
import { tf, type Tensor } from '../engine/tf.js';

export class ReleasingPass {
  private held: Tensor[] = [];
  private open = false;

  /** Run `f` (a forward pass that calls `cut` at its cuts) in scopes that end at every cut. */
  run<T extends Tensor>(f: () => T): T {
    const engine = tf.engine();
    engine.startScope();
    this.open = true;
    let out: T | undefined;
    try {
      out = f();
      return out;
    } finally {
      this.open = false;
      engine.endScope(out);
      // the last cut's tensors: whatever the result does not alias is garbage now
      for (const t of this.held) if (t !== out && !t.isDisposed) t.dispose();
      this.held = [];
    }
  }

  /**
   * `ts` are read by nothing in the rest of the pass: free them now rather than at the next cut (a
   * cell frees each state after its last reader, so its stretch never holds all of them at once).
   */
  free(ts: readonly Tensor[]): void {
    if (!this.open) return;
    for (const t of ts) if (!t.isDisposed) t.dispose();
  }

  /** Keep `xs` (everything the rest of the pass reads), free the rest of the stretch before them. */
  cut(xs: readonly Tensor[]): void {
    if (!this.open) return;
    const engine = tf.engine();
    // endScope moves xs to the enclosing scope; earlier cut tensors not in xs are no longer read
    engine.endScope(xs as Tensor[]);
    const keep = new Set(xs);
    for (const t of this.held) if (!keep.has(t) && !t.isDisposed) t.dispose();
    this.held = [...xs];
    trimBufferPool();
    engine.startScope();
  }
}
