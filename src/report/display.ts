/**
 * Bridge to the notebook kernel's rich display. Inside the TypeScript kernel (tslab) outputs go
 * out as text/html display data, optionally under a display id so they update in place. Outside
 * a kernel (scripts, tests, the CLI) the text fallback is printed instead, so the same code runs
 * everywhere.
 */
import { createRequire } from "node:module";

interface KernelDisplay {
  html(s: string): void;
  text(s: string): void;
}

interface KernelModule {
  display: KernelDisplay;
  newDisplay(): KernelDisplay;
}

interface KernelGlobal {
  __tslab__?: { require?: (id: string) => unknown };
}

let cached: KernelModule | null | undefined;

/** The running kernel's display module, or null when not inside a notebook kernel. */
function kernel(): KernelModule | null {
  if (cached !== undefined) return cached;
  const hook = (globalThis as KernelGlobal).__tslab__;
  cached = null;
  if (hook) {
    // Resolve "tslab" the way the kernel resolves it, so we talk to the running instance.
    try {
      cached = (hook.require ? hook.require("tslab") : createRequire(import.meta.url)("tslab")) as KernelModule;
    } catch {
      try {
        cached = createRequire(import.meta.url)("tslab") as KernelModule;
      } catch {
        cached = null;
      }
    }
  }
  return cached;
}

export function inNotebook(): boolean {
  return kernel() !== null;
}

/** Where outputs go when not in a kernel; tests replace it to capture output. */
let fallbackWriter: (html: string, text: string) => void = (_html, text) => {
  process.stdout.write(text.endsWith("\n") ? text : text + "\n");
};

export function setFallbackWriter(writer: (html: string, text: string) => void): () => void {
  const previous = fallbackWriter;
  fallbackWriter = writer;
  return () => {
    fallbackWriter = previous;
  };
}

/** Strips tags for the text fallback. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, "")
    .replace(/<svg[\s\S]*?<\/svg>/gi, "[chart]")
    .replace(/<\/(tr|p|div|caption|h\d)>/gi, "\n")
    .replace(/<\/t[hd]>/gi, "\t")
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\n{2,}/g, "\n")
    .trim();
}

/** Displays HTML once. */
export function displayHtml(html: string): void {
  const k = kernel();
  if (k) k.display.html(html);
  else fallbackWriter(html, htmlToText(html));
}

/** A display slot that can be rewritten in place (progress bars, live tables). */
export interface DisplaySlot {
  update(html: string): void;
}

export function newDisplaySlot(): DisplaySlot {
  const k = kernel();
  if (k) {
    const d = k.newDisplay();
    return { update: (html) => d.html(html) };
  }
  return { update: (html) => fallbackWriter(html, htmlToText(html)) };
}
