// Code blocks of a Markdown file, with the <!-- doc: ... --> comment before each (tests/js/docs/run.mjs
// runs them; tests/js/bundlers/run.mjs builds the Bundlers section's blocks).

/** The code blocks of a Markdown file: { file, line, lang, code, marker } (marker: the doc comment or null). */
export function extractBlocks(file, text) {
  const lines = text.split('\n');
  const blocks = [];
  const markerBefore = (i) => {
    // The doc comment must be the last non-blank line before the block.
    for (let j = i - 1; j >= 0; j--) {
      if (lines[j].trim() === '') continue;
      const m = /^\s*<!--\s*doc:\s*(.*?)\s*-->\s*$/.exec(lines[j]);
      return m ? m[1] : null;
    }
    return null;
  };
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s{0,3})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/.exec(lines[i]);
    if (fence) {
      const close = new RegExp(`^\\s{0,3}${fence[2][0]}{${fence[2].length},}\\s*$`);
      let j = i + 1;
      while (j < lines.length && !close.test(lines[j])) j++;
      blocks.push({ file, line: i + 1, lang: fence[3] || '', code: lines.slice(i + 1, j).join('\n') + '\n', marker: markerBefore(i) });
      i = j;
      continue;
    }
    // Indented code block: 4+ spaces after a blank line, not a list item's continuation.
    if (/^( {4}|\t)\S/.test(lines[i]) && i > 0 && lines[i - 1].trim() === '') {
      let k = i - 2;
      while (k >= 0 && lines[k].trim() === '') k--;
      const prev = k >= 0 ? lines[k] : '';
      if (/^\s*([*+-]|\d+\.)\s/.test(prev) || /^\s+\S/.test(prev)) continue;
      let j = i;
      while (j < lines.length && (/^( {4}|\t)/.test(lines[j]) || (lines[j].trim() === '' && /^( {4}|\t)\S/.test(lines[j + 1] ?? '')))) j++;
      blocks.push({ file, line: i + 1, lang: '(indented)', code: lines.slice(i, j).map((l) => l.replace(/^( {4}|\t)/, '')).join('\n') + '\n', marker: markerBefore(i) });
      i = j - 1;
    }
  }
  return blocks;
}

/** The one block of `file` whose doc comment contains `needle` (throws when there is not exactly one). */
export function blockWith(file, text, needle) {
  const found = extractBlocks(file, text).filter((b) => b.marker && b.marker.includes(needle));
  if (found.length !== 1) throw new Error(`${file}: ${found.length} code blocks whose doc comment contains '${needle}' (want 1)`);
  return found[0];
}
