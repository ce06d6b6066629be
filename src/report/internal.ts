/**
 * report's internals that other layers use but that are not part of the package's public face
 * (`src/index.ts` does not re-export this file): the HTML building blocks of the views.
 */
export { escapeHtml, panel, tableHtml, keyValueHtml, formatCell, BASE_CSS } from "./html.js";
