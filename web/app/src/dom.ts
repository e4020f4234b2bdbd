// The app's whole "UI library": h() builds a DOM element from a tag, its
// attributes (on* keys become event listeners) and children, so that pages
// are plain functions that return elements. No framework: the pages are small
// forms and tables redrawn from fresh API answers, which the DOM does well.

type Child = Node | string | number | false | null | undefined | Child[];
type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (key === "value" && "value" in element) {
      (element as HTMLInputElement).value = String(value);
    } else if (key === "checked" && element instanceof HTMLInputElement) {
      element.checked = Boolean(value);
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else
      parent.appendChild(
        typeof child === "object" ? child : document.createTextNode(String(child)),
      );
  }
}

/** Replaces every child of `parent` with `children`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A labelled form control: <label for=id>text</label> and the control. */
export function field(label: string, control: HTMLElement): HTMLElement {
  const id = control.id || `f-${label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

/** A <select> of [value, text] options with `selected` chosen. */
export function select(
  id: string,
  options: Array<[string, string]>,
  selected: string,
  onChange: (value: string) => void,
): HTMLSelectElement {
  const element = h(
    "select",
    { id, onChange: () => onChange(element.value) },
    options.map(([value, text]) =>
      h("option", { value, selected: value === selected ? true : undefined }, text),
    ),
  );
  element.value = selected;
  return element;
}
