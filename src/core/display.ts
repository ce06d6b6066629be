/**
 * Late-bound display for plain objects built below the report layer (a data-quality report is an
 * object literal made by the data layer, a tear sheet one made by the report layer itself): the
 * object carries a hidden method under `Symbol.for("strategy-lab.display")` that asks the renderer
 * the report layer registered for its kind. Classes get the method on their prototype instead
 * (src/report/rich.ts). With no renderer registered (the report layer not loaded) the object shows
 * as text.
 */
export interface DisplayBundle {
  "text/html": string;
  "text/plain": string;
  [mime: string]: string;
}

const renderers = new Map<string, (value: object) => DisplayBundle>();

/** Registers how objects of `kind` show themselves (called by the report layer). */
export function registerDisplay(kind: string, render: (value: object) => DisplayBundle): void {
  renderers.set(kind, render);
}

/** Gives `value` a hidden display method that renders it as `kind` (not enumerable: JSON and equality ignore it). */
export function attachDisplay<T extends object>(value: T, kind: string): T {
  Object.defineProperty(value, Symbol.for("strategy-lab.display"), {
    value: () => renderers.get(kind)?.(value) ?? { "text/html": "", "text/plain": `[${kind}]` },
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return value;
}
