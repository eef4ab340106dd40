/** Hash routes (`#/runs/<id>`): the server serves one page, the fragment picks the screen. */
import { signal } from "@preact/signals";

const parse = (): string[] =>
  location.hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((part) => decodeURIComponent(part));

export const route = signal<string[]>(parse());
addEventListener("hashchange", () => {
  route.value = parse();
});

export const href = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join("/")}`;
export function navigate(...parts: string[]): void {
  location.hash = href(...parts);
}
