/** Lists in a sentence's words. */

/** "a, b or c"; one item alone; `none` for an empty list. */
export function orList(items: readonly string[], none = ''): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items.at(-1)}` : (items[0] ?? none);
}
