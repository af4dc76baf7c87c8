// Shared esbuild options for every CLI bundle (ESM, Node): CommonJS dependencies bundled into
// ESM need a real `require` for Node built-ins.
module.exports = {
  banner: {
    js: "import { createRequire as __slidepipeCreateRequire } from 'node:module'; const require = __slidepipeCreateRequire(import.meta.url);",
  },
  outExtension: { '.js': '.js' },
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
};
