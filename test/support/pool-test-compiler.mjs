// A PolicyCompiler for worker-pool tests, loaded inside policy workers (plain JavaScript: workers
// do not go through jest's TypeScript transform). The "source" is a JSON script:
//   {}                        items unchanged
//   {"annotate": {"k": "v"}}  add annotations to items[0]
//   {"spin": true}            never returns and never yields (a builtin stuck in native code)
//   {"busyMs": 30}            works this long, then returns items unchanged
//   {"allocate": true}        allocates until the worker's heap cap is exceeded
//   {"compileSpin": true}     never finishes compiling
//   {"compileBusyMs": 30}     takes this long to compile
//   {"crash": true}           ends its worker thread in the middle of the run
//   {"ifLabel": "x", ...}     spin, allocate, crash and busyMs only when items[0] has label x
//                             (a policy the pool knows as light that turns slow on one object)
// A resolved package's script is its root's main.k.
export const compiler = {
  compilePackage(resolved) {
    const file = `${resolved.root}/main.k`;
    return this.compile(resolved.files[file] ?? '', file);
  },
  compile(source, filename) {
    let script;
    try {
      script = JSON.parse(source);
    } catch {
      return { ok: false, diagnostics: [{ code: 'E1001', message: 'not a test script', span: { file: filename, line: 1, col: 1, endLine: 1, endCol: 2 } }] };
    }
    if (script.compileSpin) for (;;);
    if (script.compileBusyMs) for (const until = Date.now() + script.compileBusyMs; Date.now() < until; );
    return {
      ok: true,
      program: {
        run(options) {
          if (script.ifLabel !== undefined && options.items[0]?.metadata?.labels?.[script.ifLabel] === undefined) {
            return { ok: true, exports: new Map([['items', [structuredClone(options.items[0])]]]), printed: '' };
          }
          if (script.spin) for (;;);
          if (script.allocate) {
            const hoard = [];
            for (;;) hoard.push(new Array(1e5).fill(hoard.length));
          }
          if (script.crash) process.exit(3);
          if (script.busyMs) {
            const until = Date.now() + script.busyMs;
            while (Date.now() < until);
          }
          const item = structuredClone(options.items[0]);
          if (script.annotate) {
            item.metadata ??= {};
            item.metadata.annotations = { ...(item.metadata.annotations ?? {}), ...script.annotate };
          }
          return { ok: true, exports: new Map([['items', [item]]]), printed: '' };
        },
      },
    };
  },
};
