/**
 * Where the worker's JavaScript is. Workers run plain JavaScript: from the built package that is
 * worker.js beside this file; when this file itself runs from TypeScript sources (the jest suite,
 * which builds dist/ first), it is the same file in the build output.
 */
export function workerScriptUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return here;
  return new URL(here.href.replace(/\/src\/engine\/pool\/worker\.js$/, '/dist/engine/pool/worker.js'));
}
