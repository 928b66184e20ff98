/**
 * `use:css={{ background: '…' }}`: sets inline style properties through the CSSOM. The page's
 * CSP (style-src 'self') blocks style attributes written as markup, but not CSSOM writes.
 */
export function css(node: HTMLElement, props: Record<string, string | undefined>) {
  let keys: string[] = [];
  const apply = (p: Record<string, string | undefined>): void => {
    for (const k of keys) node.style.removeProperty(k);
    keys = [];
    for (const [k, v] of Object.entries(p)) {
      if (v === undefined) continue;
      node.style.setProperty(k, v);
      keys.push(k);
    }
  };
  apply(props);
  return { update: apply };
}
