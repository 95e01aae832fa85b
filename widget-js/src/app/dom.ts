// A few DOM helpers: elements from a tag, properties and children, and nothing else.

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, unknown> & { class?: string; on?: Record<string, (event: Event) => void> };

/** `h('button', { class: 'primary', on: { click } }, 'Next')`. Attributes go through setAttribute, except properties that exist on the element. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'on') {
      for (const [type, listener] of Object.entries(value as Record<string, (event: Event) => void>)) element.addEventListener(type, listener);
    } else if (name === 'class') {
      element.className = String(value);
    } else if (value === null || value === undefined) {
    } else if (name in element && !name.startsWith('aria-') && !name.startsWith('data-')) {
      // Properties take false too (spellcheck, disabled, checked, hidden).
      (element as unknown as Record<string, unknown>)[name] = value;
    } else if (value === false) {
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let ids = 0;
/** A fresh id for label/aria links. */
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** "1,234,567" in the page's language. */
export function count(n: number, locale: string): string {
  return n.toLocaleString(locale);
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** A size as people say it: "1 GB" for 1 GiB, "512 MB", "12.3 MB", "100 KB"; binary units, one
 * decimal at most, no trailing ".0", in the page's language. */
export function fileSize(bytes: number, locale: string): string {
  let unit = 0;
  let value = Math.max(0, bytes);
  // 1023.96 KB would show as "1,024 KB": it is said "1 MB".
  while (unit < UNITS.length - 1 && Math.round(value * 10) / 10 >= 1024) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toLocaleString(locale, { maximumFractionDigits: 1 })} ${UNITS[unit]}`;
}
