/** Learning-rate schedules. */

export interface CosineLrArgs {
  /** Initial learning rate (epoch 0). */
  base: number;
  /** Floor reached at epoch `epochs` (eta_min; default 0). */
  min?: number;
  /** 0-based epoch. */
  epoch: number;
  epochs: number;
}

/**
 * Cosine annealing stepped once per epoch (torch CosineAnnealingLR, T_max = epochs): the learning
 * rate used during `epoch`, min + ½(base − min)(1 + cos(π·epoch/epochs)).
 */
export function cosineLr({ base, min = 0, epoch, epochs }: CosineLrArgs): number {
  return min + 0.5 * (base - min) * (1 + Math.cos((Math.PI * epoch) / epochs));
}
