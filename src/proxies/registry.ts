/**
 * The proxy registry: every proxy `scoreArch` and `--proxies` know, by name. The built-in proxies
 * are registered at the end of this file, one line each; `registerProxy` adds a user's own.
 * A proxy registered at run time exists in its own process only: scorePoolWorkers imports
 * `proxyModules` in each worker for that.
 */
import { TsnasError } from '../util/errors.js';
import type { ProxyDefinition } from './proxy.js';
import { activeProxy } from './definitions/active.js';
import { dasProxy } from './definitions/das.js';
import { disProxy } from './definitions/dis.js';
import { flopsProxy } from './definitions/flops.js';
import { gradNormProxy } from './definitions/grad-norm.js';
import { jacobCovProxy } from './definitions/jacob-cov.js';
import { naswotProxy } from './definitions/naswot.js';
import { paramsProxy } from './definitions/params.js';
import { snipProxy } from './definitions/snip.js';
import { synflowProxy } from './definitions/synflow.js';
import { unitsProxy } from './definitions/units.js';
import { zenProxy } from './definitions/zen.js';

const registry = new Map<string, ProxyDefinition<unknown>>();

/**
 * Add a proxy. Its name must be new (registering the same definition again is a no-op) and made
 * of letters, digits and `_`, so that it stays one item of a comma-separated list.
 */
export function registerProxy<P>(def: ProxyDefinition<P>): void {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(def.name)) throw new TsnasError(`proxy name '${def.name}' must be letters, digits and _ (starting with a letter)`);
  const old = registry.get(def.name);
  if (old === def) return;
  if (old) throw new TsnasError(`a proxy named '${def.name}' is already registered`);
  registry.set(def.name, def as ProxyDefinition<unknown>);
}

/** Remove a proxy (tests; a user replacing a built-in). Returns whether it was registered. */
export function unregisterProxy(name: string): boolean {
  return registry.delete(name);
}

/** The registered proxies' names, in registration order. */
export function proxyNames(): string[] {
  return [...registry.keys()];
}

export function getProxy(name: string): ProxyDefinition<unknown> | undefined {
  return registry.get(name);
}

/** A requested proxy: its definition and the options parsed from the spec. */
export interface ResolvedProxy {
  spec: string;
  def: ProxyDefinition<unknown>;
  options: unknown;
}

/**
 * The definition behind `spec`: a registered name, or `name:options` of a parametrised proxy
 * (whose `parse` validates the options). Unknown names throw, listing the known ones.
 */
export function resolveProxy(spec: string): ResolvedProxy {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const def = registry.get(name);
  if (!def) {
    const syntaxes = [...registry.values()].flatMap((d) => (d.syntax ? [d.syntax] : []));
    throw new TsnasError(`unknown proxy '${spec}' (known: ${[...proxyNames(), ...syntaxes].join(', ')})`);
  }
  if (colon >= 0 && !def.parse) throw new TsnasError(`proxy '${name}' takes no options, got '${spec}'`);
  return { spec, def, options: def.parse ? def.parse(spec) : undefined };
}

// The built-in proxies: one line each.
registerProxy(naswotProxy);
registerProxy(dasProxy);
registerProxy(disProxy);
registerProxy(unitsProxy);
registerProxy(activeProxy);
registerProxy(paramsProxy);
registerProxy(flopsProxy);
registerProxy(synflowProxy);
registerProxy(snipProxy);
registerProxy(gradNormProxy);
registerProxy(jacobCovProxy);
registerProxy(zenProxy);
