/**
 * Masking of secret values in a step's output and error before they are stored.
 *
 * Every value handed to the script, and every value it set, contributes masks. They are the
 * whole value's text (a string as is, anything else as its JSON text), each line of a multi-line
 * string, and each string and number leaf of an array or object (a number as its JavaScript
 * text, as console.log prints it). Each of those also contributes its
 * JSON-escaped form, its base64 form (of the UTF-8 bytes) and its encodeURIComponent form. A
 * form that cannot be computed for a value (encodeURIComponent throws on a lone surrogate) is
 * skipped, and the value's other forms still count.
 *
 * Masks shorter than MIN_MASKED_LENGTH characters, and the empty string, are not used: a
 * two-letter value would blank every occurrence of those letters in the output while hiding
 * next to nothing. Such values can therefore appear in output. Booleans and null are never
 * masks, at the top level or as leaves: "true" and "false" would blank ordinary words while
 * hiding one bit. Masking is a guard against
 * accidental disclosure, not against a script that transforms a value in some other way
 * (reversing it, hex-encoding it, base64 of a longer string that contains it).
 */
import { MIN_MASKED_LENGTH } from "../limits";
import type { JsonValue } from "./event";

export const MASK = "***";

export class Masker {
  private readonly masks = new Set<string>();
  private pattern: RegExp | null = null;

  /** Adds the masks of one value; values seen before add nothing. */
  addValue(value: JsonValue): void {
    const texts: string[] = [];
    if (typeof value === "string") {
      texts.push(value);
      for (const line of value.split(/\r\n|\r|\n/)) texts.push(line);
    } else if (typeof value === "number") {
      texts.push(String(value));
    } else if (typeof value === "boolean" || value === null) {
      return;
    } else {
      addForm(texts, () => JSON.stringify(value));
      addForm(texts, () => JSON.stringify(value, null, 2));
      const leaves = new Set<string>();
      collectLeaves(value, leaves);
      texts.push(...leaves);
    }

    let changed = false;
    for (const text of new Set(texts)) {
      for (const form of encodedForms(text)) {
        if (form.length < MIN_MASKED_LENGTH || this.masks.has(form)) continue;
        this.masks.add(form);
        changed = true;
      }
    }
    if (changed) this.pattern = null;
  }

  /** The length of the longest mask, 0 when there is none. */
  get longestMask(): number {
    let longest = 0;
    for (const mask of this.masks) longest = Math.max(longest, mask.length);
    return longest;
  }

  /** Replaces every occurrence of a mask in `text` with `***`, longest masks first. */
  mask(text: string): string {
    if (this.masks.size === 0 || text.length < MIN_MASKED_LENGTH) return text;
    return text.replace(this.compiled(), MASK);
  }

  /** Returns whether `text` contains a mask, that is, whether mask(text) would change it. */
  containsMasked(text: string): boolean {
    if (this.masks.size === 0 || text.length < MIN_MASKED_LENGTH) return false;
    // search() ignores the global flag's lastIndex, so the shared pattern stays stateless here.
    return text.search(this.compiled()) !== -1;
  }

  private compiled(): RegExp {
    if (this.pattern === null) {
      // One alternation, longest first: at each position the regex engine takes the first
      // alternative that matches, which is then the longest mask starting there.
      const ordered = [...this.masks].sort((a, b) => b.length - a.length);
      this.pattern = new RegExp(ordered.map(escapeRegExp).join("|"), "g");
    }
    return this.pattern;
  }
}

function collectLeaves(value: JsonValue, into: Set<string>): void {
  if (typeof value === "string") {
    into.add(value);
    for (const line of value.split(/\r\n|\r|\n/)) into.add(line);
  } else if (typeof value === "number") {
    into.add(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) collectLeaves(item, into);
  } else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) collectLeaves(item, into);
  }
}

function encodedForms(text: string): string[] {
  if (text === "") return [];
  const forms = [text];
  addForm(forms, () => JSON.stringify(text).slice(1, -1));
  addForm(forms, () => encodeURIComponent(text));
  addForm(forms, () => utf8Base64(text));
  addForm(forms, () => utf8Base64(text).replace(/=+$/, ""));
  return forms;
}

/** Adds one computed form, or nothing when computing it throws for this value. */
function addForm(forms: string[], encode: () => string): void {
  try {
    forms.push(encode());
  } catch {
    // Skipping one form keeps the value's other forms masked.
  }
}

function utf8Base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
